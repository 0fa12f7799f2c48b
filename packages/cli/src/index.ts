/** The `testtrace` CLI. The bin calls main(process.argv.slice(2)). */
export { main, usage } from './cli/main.js';
export { COMMANDS, findCommand, type Command } from './commands/index.js';
export { processIo, colorEnabled, type Io } from './cli/io.js';
export { UsageError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './cli/errors.js';
