/**
 * A file as the run ran it: its path, and its project when it has one. The same file run by two
 * projects is two files; a key without a project is the path itself.
 */
export function unitKey(file: string, project: string | undefined): string {
  return project ? `${project}\0${file}` : file;
}
