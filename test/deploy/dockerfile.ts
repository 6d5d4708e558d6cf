import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One stage of the Dockerfile: its FROM line and the instructions after it (continuations joined, comments left out). */
export interface DockerStage {
  from: string;
  lines: string[];
}

export function dockerStages(root: string): DockerStage[] {
  return readFileSync(join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .reduce<DockerStage[]>((acc, line) => {
      if (line.startsWith('FROM ')) acc.push({ from: line, lines: [] });
      else if (line.trim() && !line.trim().startsWith('#')) acc.at(-1)?.lines.push(line);
      return acc;
    }, []);
}

/** What a stage's `COPY` lines take from the build context (not `--from=` another stage): each source and where it goes, relative to WORKDIR /app. */
export function contextCopies(stage: DockerStage): Array<{ source: string; dest: string }> {
  return stage.lines
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
    .flatMap((l) => {
      const parts = l.trim().split(/\s+/).slice(1);
      const dest = parts.pop()!.replace(/^\.\/?/, '');
      return parts.map((source) => ({ source, dest: dest.endsWith('/') || parts.length > 1 || dest === '' ? join(dest, source.split('/').pop()!) : dest }));
    });
}
