export { lambdaContext } from "../../shared/local/lambda-context.ts";
