/**
 * S3 policy: a large upload and download through an S3 storage policy of cloudreve-ts against the
 * same transfer straight against the bucket (@20minutes/s3rver on loopback, signatures checked).
 *  - upload, ours:     PUT /file/upload → PUT every presigned part (in order, like the web client
 *                      with chunk_concurrency 1) → POST completeURL → GET /callback/s3/…
 *  - upload, straight: CreateMultipartUpload with the SDK, PUT the same parts to presigned URLs,
 *                      CompleteMultipartUpload — no cloudreve-ts involved
 *  - upload, relay:    the same file through the server (policy `relay`), pushed to the bucket
 *  - download, ours:   POST /file/url {redirect} → follow the 302 to the presigned GET
 *  - download, straight: a presigned GET made with the SDK
 * Targets: direct upload and download ≥ 0.9× straight (the bytes never pass through our server);
 * the relay upload is reported only. Server peak RSS < 200 MB.
 *   npx tsx bench/s3.ts [--size 1G] [--runs 2] [--timeout 1800]
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Api, myUri } from './lib/api.ts';
import { formatBytes, parseArgs } from './lib/args.ts';
import { makeTestFile, median, mibPerSec } from './lib/data.ts';
import { download, request, sendFileRange } from './lib/http.ts';
import { SideStats, watchdog } from './lib/proc.ts';
import { Report, runBench } from './lib/report.ts';
import { benchTemp, startOurServer, type OurServer } from './lib/server.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from '../packages/server/test/helpers/s3.ts';

const args = parseArgs();
const size = args.size('size', 1024 ** 3);
const runs = Math.max(1, args.int('runs', 2));
watchdog(args.int('timeout', 1800), 's3');
const PART = 25 * 1024 * 1024;
const RATIO_TARGET = 0.9;

const report = new Report('s3', { size, runs, part: PART });
const work = benchTemp('s3');
let ours: OurServer | undefined;
let s3: S3Emulator | undefined;

await runBench(report, async () => {
  console.log(`s3 bench: ${formatBytes(size)}, ${runs} run(s) each, parts of ${formatBytes(PART)}`);
  const file = path.join(work, 'payload.bin');
  await makeTestFile(file, size);
  s3 = await startS3();
  const bucket = await s3.createBucket('bench');
  ours = await startOurServer();
  const api = new Api(ours.url);
  await api.signUpAndIn('bench@example.com', 'bench-password-1');

  // The S3 policy, straight into the database (the bench user is no administrator).
  const db = new Database(ours.dbFile);
  const now = Date.now();
  const setPolicy = (relay: boolean) => db.prepare('update storage_policies set settings = ?, updated_at = ? where name = ?')
    .run(JSON.stringify({ chunk_size: PART, s3_path_style: true, relay }), Date.now(), 'bench-s3');
  const info = db.prepare(`insert into storage_policies (name, type, server, bucket_name, is_private, access_key, secret_key, max_size, dir_name_rule, file_name_rule, settings, node_id, created_at, updated_at)
    values ('bench-s3', 's3', ?, ?, 1, ?, ?, 0, 'uploads/{uid}', '{uuid}_{originname}', '{}', null, ?, ?)`).run(s3.endpoint, bucket, S3_ACCESS_KEY, S3_SECRET_KEY, now, now);
  db.prepare('update groups set storage_policy_id = ?').run(Number(info.lastInsertRowid));
  setPolicy(false);
  const policy = await api.policyFor(myUri());

  const putParts = async (urls: string[]) => {
    const etags: string[] = [];
    for (let i = 0; i < urls.length; i++) {
      const r = await sendFileRange('PUT', urls[i]!, file, i * PART, Math.min(size, (i + 1) * PART));
      if (r.status !== 200) throw new Error(`part ${i + 1}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      etags.push(String(r.headers.etag));
    }
    return `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  };
  const oursUpload = async (name: string) => {
    const t0 = performance.now();
    const s = await api.call('PUT', '/file/upload', { uri: myUri('s3', name), size, policy_id: policy });
    const xml = await putParts(s.upload_urls);
    const done = await request('POST', s.completeURL, xml, { 'content-type': 'application/xml' });
    if (done.status !== 200) throw new Error(`complete: HTTP ${done.status} ${done.body.slice(0, 200)}`);
    const cb = await request('GET', `${ours!.url}/api/v4/callback/s3/${s.session_id}/${s.callback_secret}`);
    if (cb.status !== 200 || JSON.parse(cb.body).code !== 0) throw new Error(`callback: ${cb.status} ${cb.body.slice(0, 200)}`);
    return performance.now() - t0;
  };
  const straightUpload = async (name: string) => {
    const t0 = performance.now();
    const key = `straight/${name}`;
    const { UploadId } = await s3!.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const count = Math.ceil(size / PART);
    const urls: string[] = [];
    for (let i = 1; i <= count; i++) urls.push(await getSignedUrl(s3!.client, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i }), { expiresIn: 3600 }));
    const xml = await putParts(urls);
    const complete = await getSignedUrl(s3!.client, new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }), { expiresIn: 3600 });
    const done = await request('POST', complete, xml, { 'content-type': 'application/xml' });
    if (done.status !== 200) throw new Error(`straight complete: HTTP ${done.status}`);
    return performance.now() - t0;
  };
  const relayUpload = async (name: string) => {
    const t0 = performance.now();
    await api.upload(myUri('s3', name), file, size, policy);
    return performance.now() - t0;
  };
  const oursDownload = async (name: string) => {
    const t0 = performance.now();
    const r = await request('POST', `${ours!.url}/api/v4/file/url`, JSON.stringify({ uris: [myUri('s3', name)], download: true, redirect: true }),
      { 'content-type': 'application/json', authorization: `Bearer ${api.token}` });
    if (r.status !== 302) throw new Error(`POST /file/url redirect: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    const got = await download(String(r.headers.location));
    if (got.bytes !== size) throw new Error(`download: ${got.bytes} bytes, expected ${size}`);
    return performance.now() - t0;
  };
  const straightDownload = async (name: string) => {
    const t0 = performance.now();
    const url = await getSignedUrl(s3!.client, new GetObjectCommand({ Bucket: bucket, Key: `straight/${name}` }), { expiresIn: 3600 });
    const got = await download(url);
    if (got.bytes !== size) throw new Error(`straight download: ${got.bytes} bytes`);
    return performance.now() - t0;
  };

  const stats = new SideStats(ours.pid);
  const t = { up: [] as number[], upStraight: [] as number[], relay: [] as number[], down: [] as number[], downStraight: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const name = `run-${i}.bin`;
    // Alternate who goes first: the second upload meets the first one's dirty pages being written back.
    if (i % 2 === 0) {
      t.upStraight.push(await straightUpload(name));
      t.up.push(await stats.measure(() => oursUpload(name)));
    } else {
      t.up.push(await stats.measure(() => oursUpload(name)));
      t.upStraight.push(await straightUpload(name));
    }
    t.downStraight.push(await straightDownload(name));
    t.down.push(await stats.measure(() => oursDownload(name)));
    setPolicy(true);
    t.relay.push(await stats.measure(() => relayUpload(`relay-${i}.bin`)));
    setPolicy(false);
    const f = (ms: number) => `${mibPerSec(size, ms).toFixed(0)} MiB/s`;
    console.log(`  run ${i + 1}: upload ours ${f(t.up[i]!)} / straight ${f(t.upStraight[i]!)}, relay ${f(t.relay[i]!)}; download ours ${f(t.down[i]!)} / straight ${f(t.downStraight[i]!)}`);
  }
  db.close();
  const tp = (xs: number[]) => mibPerSec(size, median(xs));
  report.ratioAtLeast(`upload ${formatBytes(size)} via presigned parts, median throughput`, tp(t.up), tp(t.upStraight), 'MiB/s', 's3rver direct', RATIO_TARGET);
  report.ratioAtLeast(`download ${formatBytes(size)} via redirect, median throughput`, tp(t.down), tp(t.downStraight), 'MiB/s', 's3rver direct', RATIO_TARGET);
  report.info(`relay upload ${formatBytes(size)} (through the server, staged, pushed)`, `${tp(t.relay).toFixed(2)} MiB/s`, `${tp(t.upStraight).toFixed(2)} MiB/s (s3rver direct)`, tp(t.relay) / tp(t.upStraight), 'ours/direct');
  report.below('server peak RSS', stats.peakRss / 1e6, 200, 'MB');
  report.note('s3rver stores every part as a file and concatenates them on completion, so it dominates both sides');
});

await ours?.stop().catch(() => undefined);
await s3?.stop().catch(() => undefined);
fs.rmSync(work, { recursive: true, force: true });
process.exit(process.exitCode ?? 0);
