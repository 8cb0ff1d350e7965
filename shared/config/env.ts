import { ConfigurationError } from "../errors.ts";

export type Environment = Readonly<Record<string, string | undefined>>;

export function requireString(env: Environment, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === "") throw new ConfigurationError(name, "is required");
  return value;
}

export function optionalString(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function optionalInteger(
  env: Environment,
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigurationError(name, "must be a whole number", raw);
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max) {
    throw new ConfigurationError(name, `must be between ${bounds.min} and ${bounds.max}`, raw);
  }
  return value;
}

export function requireUrl(env: Environment, name: string): string {
  const value = requireString(env, name);
  if (!URL.canParse(value)) throw new ConfigurationError(name, "must be a URL", value);
  return value;
}

/** AWS region names such as us-east-1, eu-central-2, us-gov-west-1. */
export function requireRegion(env: Environment, name: string): string {
  const value = requireString(env, name);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(value)) {
    throw new ConfigurationError(name, "must be an AWS region such as us-west-2", value);
  }
  return value;
}

export function requireArn(env: Environment, name: string, service: string): string {
  const value = requireString(env, name);
  if (!value.startsWith(`arn:aws`) || value.split(":")[2] !== service) {
    throw new ConfigurationError(name, `must be an ${service} ARN`, value);
  }
  return value;
}
