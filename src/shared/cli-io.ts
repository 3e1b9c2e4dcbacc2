/**
 * What a CLI command may touch: its output streams and the environment, passed in so tests can run
 * it in-process. Shared by the gateway's CLI and the simulators' (which the CLI starts), so that
 * neither imports the other for it.
 */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}
