export { requireWithCodeCache } from '@testtrace/core/code-cache';
