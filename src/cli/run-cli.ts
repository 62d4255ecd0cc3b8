import { AppConfig, ConfigError } from '../platform/config/app-config';
import { loadConfig } from '../platform/config/load-config';

/** A usage or input mistake: printed as is, without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** Runs a command-line entry point with the validated configuration and plain error reporting. */
export function runCli(body: (config: AppConfig) => Promise<void>): void {
  Promise.resolve()
    .then(() => body(loadConfig()))
    .then(() => process.exit(0))
    .catch((error: Error) => {
      if (error instanceof UsageError || error instanceof ConfigError) {
        console.error(error.message);
        process.exit(2);
      }
      console.error(`Failed: ${error.message}`);
      process.exit(1);
    });
}
