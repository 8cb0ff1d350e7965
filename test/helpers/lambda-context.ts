export { lambdaContext } from "../../scripts/local/lambda-context.ts";
