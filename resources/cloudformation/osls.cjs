// osls loads `${file(...)}` JavaScript with require(); Node 24 can require() the ES module
// osls.ts (type stripping, require(esm)). The spread turns the module namespace into the plain
// object osls expects.
module.exports = { ...require("./osls.ts") };
