/** The package version, written into every trace's metadata. */
export const VERSION = '0.1.0';
