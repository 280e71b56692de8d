// PGlite is one process's database: a second process opening the same directory would corrupt it.
import fs from 'node:fs/promises';
import path from 'node:path';

export class DataDirInUse extends Error {}

/** Takes `<dataDir>/chorus.pid`, or fails naming the live process that holds it. Returns the release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, 'chorus.pid');
  for (;;) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await fs.readFile(lockFile, 'utf8').catch(() => ''));
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new DataDirInUse(`The data directory ${dataDir} is in use by process ${holder}; stop it first, or point CHORUS_DATA_DIR elsewhere`);
      }
      await fs.rm(lockFile, { force: true }); // left by a process that died without cleaning up
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
