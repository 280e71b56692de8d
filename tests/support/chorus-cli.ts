// Runs `chorus <args>` from the sources in a child process, as an operator would at a shell.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export type CliResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/** Resolves with the exit code and output whatever the code; `env` is the whole environment the child gets. */
export async function runChorus(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'api/cli/chorus.ts', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
