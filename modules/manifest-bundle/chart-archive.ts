import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

/** A chart directory packed the way `helm package` ships one: a gzipped tar of `<chart dir>/<file>` entries. */
export interface ChartArchive {
  /** `<chart dir name>-<hash of the files>.tgz`: the name changes exactly when a file of the chart does. */
  readonly fileName: string;
  readonly bytes: Buffer;
}

const BLOCK = 512;

/** Regular files below `dir`, as `/`-separated paths relative to it, in a stable order. */
function filesBelow(dir: string, relative = ""): string[] {
  return fs
    .readdirSync(path.join(dir, relative), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const name = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) return filesBelow(dir, name);
      if (entry.isFile()) return [name];
      throw new Error(`chart ${dir}: ${name} is neither a file nor a directory; a chart archive holds regular files only`);
    });
}

/** A zero-padded octal number that fills `width` bytes with its terminating NUL. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/**
 * The POSIX ustar header of a regular file (mode 0644, owner 0, mtime 0, so the archive depends on
 * the files alone). Layout: POSIX.1-1988 ustar, as Go's archive/tar, which Helm reads charts with,
 * parses it (FormatUSTAR).
 */
function ustarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100 || !/^[\x20-\x7e]+$/.test(name)) {
    throw new Error(`chart file name must be at most 100 printable ASCII characters for a ustar header, got ${JSON.stringify(name)}`);
  }
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, "ascii");
  header.write(octal(0o644, 8), 100, "ascii");
  header.write(octal(0, 8), 108, "ascii"); // uid
  header.write(octal(0, 8), 116, "ascii"); // gid
  header.write(octal(size, 12), 124, "ascii");
  header.write(octal(0, 12), 136, "ascii"); // mtime
  header.write(" ".repeat(8), 148, "ascii"); // checksum field counts as spaces while summing
  header.write("0", 156, "ascii"); // typeflag: regular file
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let checksum = 0;
  for (const byte of header) checksum += byte;
  header.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return header;
}

/**
 * Packs the chart in `dir` into one `.tgz` whose entries are `<basename of dir>/<file>`. Helm's
 * loader (helm.sh/helm/v3 pkg/chart/loader/archive.go `LoadArchiveFiles`, v3.18.4 as embedded by
 * terraform-provider-helm v3.1.1) gunzips, reads the tar, drops the first path component of every
 * entry, and refuses absolute paths, `..` and a `Chart.yaml` outside that first directory; a chart
 * path naming an existing file is loaded that way (pkg/chart/loader/load.go `Loader`).
 * The name's hash covers the tar, not the gzip stream, whose bytes may differ between zlib builds.
 */
export function packChart(dir: string): ChartArchive {
  const base = path.basename(dir);
  const blocks: Buffer[] = [];
  for (const file of filesBelow(dir)) {
    const content = fs.readFileSync(path.join(dir, file));
    blocks.push(ustarHeader(`${base}/${file}`, content.length), content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK));
  }
  blocks.push(Buffer.alloc(2 * BLOCK)); // end of archive
  const tar = Buffer.concat(blocks);
  const hash = createHash("sha256").update(tar).digest("hex").slice(0, 32);
  return { fileName: `${base}-${hash}.tgz`, bytes: gzipSync(tar, { level: 9 }) };
}
