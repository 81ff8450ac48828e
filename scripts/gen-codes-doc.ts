/**
 * Writes docs/codes.md from the catalog (src/codes), so the document never drifts from the code.
 * Run: npx tsx scripts/gen-codes-doc.ts        (writes the file)
 *      npx tsx scripts/gen-codes-doc.ts --check (exits 1 when docs/codes.md is out of date)
 */
import { NOT_PRODUCED } from '../src/codes/not-produced.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  CATALOG,
  FAMILIES,
  FAMILY_ONLY,
  PERSON_FACING_REASONS,
  REASONS,
  REASON_NAMES,
  REMEDIES,
  hasCode,
  toCode,
  type Family,
  type Reason,
} from '../src/codes/index.js'

const OUT = fileURLToPath(new URL('../docs/codes.md', import.meta.url))

const FAMILY_TITLE: Record<Family, string> = {
  h5: 'h5 — WeChat H5 / mini-program (DetectAuth family)',
  sdk: 'sdk — SDK, standalone H5 and PC H5 (ticket family)',
}

/** One markdown table cell: pipes escaped, newlines as <br>. */
function cell(s: string | undefined): string {
  return (s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

function reasonsCell(reasons: readonly Reason[]): string {
  return reasons.map((r) => `\`${r}\` — ${cell(REASONS[r])}`).join('<br>')
}

function codeOf(family: Family, reason: Reason): string {
  if (hasCode(family, reason)) return String(toCode(family, reason).code)
  const only = FAMILY_ONLY[reason]
  return only ? `— (${only.family} only)` : '— (missing)'
}

const NOTES = `## How the mapping was chosen

The seeds give codes and messages; which internal cause produces each code is shiren's choice.
The rules the test (\`src/codes/catalog.test.ts\`) holds:

- a reason maps to at most one code per family (several reasons may share a code);
- every seed code and alias is in the catalog with the seed's billing flag and the newest seed's message;
- every code has at least one reason, so every code is reachable;
- every reason has a code in both families, except the family-only reasons listed below.

Decisions worth knowing:

- **h5 has no rate-limit, app-state or ticket codes.** \`CONCURRENCY_LIMIT\`, \`DAILY_LIMIT_EXCEEDED\`, \`APP_EXPIRED\`,
  \`SERVICE_NOT_ENABLED\` and \`LIVE_CODE_EXPIRED\` use 3 (业务请求不合法); \`APP_NOT_FOUND\`, \`SIGNATURE_INVALID\` and
  \`BODY_TOO_LARGE\` use 2 (参数有误). \`LIVE_CODE_EXPIRED\` is not 15 (that tells the caller the whole BizToken is dead,
  while only the digits expired) nor 1103 (that blames the speech).
- **Timeouts.** \`ANALYSIS_TIMEOUT\` is h5 4 (11 is the file-system timeout, used by \`BLOB_TIMEOUT\`); both are sdk 66660021.
- **Finished or used-up verifications.** \`ALREADY_COMPLETED\` and \`ATTEMPTS_EXHAUSTED\` are h5 14 (本次校验已完成);
  in sdk \`ATTEMPTS_EXHAUSTED\` is 66660017 (验证次数超限) and \`ALREADY_COMPLETED\` / \`BUSINESS_REQUEST_INVALID\`
  are 400103 (服务器拒绝访问此接口). \`TOKEN_EXPIRED\` and \`SESSION_NOT_FOUND\` are sdk 66660018 (操作超时).
- **Same text, different causes.** Several sdk codes share one message; each gets its own cause:
  - occlusion: \`FACE_OCCLUDED\` (a live image or frame) 66660041, \`FACE_OCCLUDED_IN_VIDEO\` −5012,
    \`BEST_FRAME_OCCLUDED\` (no uncovered frame for the comparison photo) −5103;
  - blur: \`FACE_BLURRED\` 66660042, \`BEST_FRAME_BLURRED\` −5102;
  - no face: \`NO_FACE\` (image) 66660038, \`NO_FACE_IN_VIDEO\` −15001, \`FACE_NOT_FRONTAL\` −5011,
    \`FACE_INCOMPLETE_DURING_SPEECH\` −5009, \`FACE_INCOMPLETE\` / \`FACE_TOO_LEFT\` / \`FACE_TOO_RIGHT\` −1406 (人脸检测失败,
    remedy 请确保人脸正对框内), \`COMPARE_FAILED\` −4003 (detection failed inside the comparison);
  - anti-attack: \`SPOOF_DETECTED\` (anti-spoof model) 66660023, \`SUSPECTED_RECORDING\` −5021,
    \`SCREEN_REPLAY_DETECTED\` (screen artefacts) −1492, \`VIDEO_TAMPERED\` (container / timestamps) −1490,
    \`VIDEO_REPLAYED\` (same bytes) 400604, \`STILL_IMAGE_VIDEO\` −15002;
  - generic "请确保本人操作且正脸对框" liveness codes, one sub-check each: \`NO_MOUTH_OPEN\` −5019, \`NO_HEAD_TURN\` −5024,
    \`FIRST_ACTION_MISSING\` / \`ACTION_ORDER_WRONG\` −5026, \`VIDEO_LIVENESS_FAILED\` −1404,
    \`SILENT_LIVENESS_BELOW_THRESHOLD\` −1497, \`LIP_MOVEMENT_TOO_SMALL\` −7001, \`LIVENESS_FAILED\` (catch-all) −14099;
    \`SILENT_LIVENESS_FAILED\` (too few usable frames) is −5001 (视频异常, remedy about light, framing, occlusion);
  - video intake: \`VIDEO_SIZE_INVALID\` (bytes) −5050, \`VIDEO_TOO_SHORT\` / \`VIDEO_TOO_LONG\` /
    \`DIGITS_VIDEO_DURATION_INVALID\` (duration) −5051, \`VIDEO_RESOLUTION_TOO_LOW\` −1304 (检查异常视频失败),
    \`VIDEO_FETCH_FAILED\` (upload missing or truncated) −5027, \`VIDEO_DECODE_FAILED\` 66660045, formats 66660016;
  - same person: \`SIMILARITY_BELOW_THRESHOLD\` is the billable 66660004 (h5 2016); \`FACE_SWAPPED\` (identity changes
    between frames) is the non-billable −4007 (h5 2011 实人比对未通过, billable there as the seed says);
  - server: \`SYSTEM_ERROR\` −1105; store failures (database, media store, cache, registry lookup, read-back of the
    digits video) −1104; \`MISSING_PARAMETER\` / \`INVALID_PARAMETER\` −1301 (请求参数字段非法; its user message is the
    seed's 网络不给力).
- **h5 codes without an exact match.** Occlusion uses 1210 (未能检测到完整人脸), blur and a non-frontal face 1004
  (无法提取比对照), eyes closed / head turn / wrong order 1005 (活体检测未通过), \`VIDEO_SIZE_INVALID\` and \`VIDEO_TOO_LONG\`
  1107 (its text asks for about 6 s), \`VIDEO_RESOLUTION_TOO_LOW\` 2014 (video resolution, per the SDK code list) while
  \`REFERENCE_RESOLUTION_TOO_LOW\` is 2009, undecodable images and reference photos 9 (文件格式错误).
- **Texts.** The sdk remedies are the seed's 处理措施 with \`<br>\` as line breaks (the seed's one \`<be>\` typo, at −5019,
  is read as \`<br>\`); the link to the vendor's contact page in 66660002 is dropped, since shiren is self-hosted.
  sdk code 0 is shiren's own row (origin \`shiren\`): the seed table lists only failures.
`

function render(): string {
  const out: string[] = []
  out.push('# Result codes')
  out.push('')
  out.push('<!-- Generated by scripts/gen-codes-doc.ts from src/codes; do not edit by hand. -->')
  out.push('')
  out.push(
    'shiren answers each caller in the result codes of its API family, with the billing flag of the code. ' +
      'Inside shiren every outcome is a named **reason** (`src/codes/reasons.ts`); the catalog (`src/codes/catalog.ts`) ' +
      'says which code each reason becomes in each family. The seed tables in `shared/seeds` are the contract: ' +
      'codes, aliases, billing (是否收费) and Chinese messages come from there (the newest seed wins).',
  )
  out.push('')
  out.push(
    '`shiren codes --json` and `GET /v1/codes` print the same catalog as JSON. Regenerate this file with `npx tsx scripts/gen-codes-doc.ts`.',
  )
  out.push('')
  for (const family of FAMILIES) {
    const rows = CATALOG.filter((r) => r.family === family)
    out.push(`## ${FAMILY_TITLE[family]}`)
    out.push('')
    out.push(
      `${rows.length} rows, ${rows.reduce((n, r) => n + 1 + r.aliases.length, 0)} codes with aliases; billable: ${rows
        .filter((r) => r.billable)
        .map((r) => r.code)
        .join(', ')}.`,
    )
    out.push('')
    if (family === 'sdk') {
      out.push(
        "| code (aliases) | billable | message (zh) | message (en) | vendor's action (处理措施) | stage | reasons and their cause in shiren |",
      )
      out.push('|---|---|---|---|---|---|---|')
    } else {
      out.push('| code | billable | message (zh) | message (en) | stage | reasons and their cause in shiren |')
      out.push('|---|---|---|---|---|---|')
    }
    for (const r of rows) {
      const code =
        `**${r.code}**` + (r.aliases.length ? ` (${r.aliases.join(', ')})` : '') + (r.origin === 'shiren' ? ' ‡' : '')
      const bill = r.billable ? 'yes' : 'no'
      const cols = [code, bill, cell(r.messageZh), cell(r.messageEn)]
      if (family === 'sdk') cols.push(r.remedyZh === undefined ? '' : `${cell(r.remedyZh)}<br>*${cell(r.remedyEn)}*`)
      cols.push(r.stage, reasonsCell(r.reasons))
      out.push(`| ${cols.join(' | ')} |`)
    }
    out.push('')
    if (rows.some((r) => r.origin === 'shiren')) {
      out.push("‡ shiren's own row (not in the seed tables).")
      out.push('')
    }
  }
  out.push('## Reason index')
  out.push('')
  out.push('| reason | cause | h5 | sdk |')
  out.push('|---|---|---|---|')
  for (const r of REASON_NAMES)
    out.push(`| \`${r}\` | ${cell(REASONS[r])} | ${codeOf('h5', r)} | ${codeOf('sdk', r)} |`)
  out.push('')
  out.push('## What the person can do (remedies)')
  out.push('')
  out.push(
    'Reasons whose cause the person in front of the camera can change have a short remedy in both page languages ' +
      "(`PERSON_FACING_REASONS` and `REMEDIES` in `src/codes/remedies.ts`, started from the sdk seed's 处理措施 hints). " +
      "The capture page shows the remedy of the attempt's reason under its code, in the page's language; " +
      '`shiren codes --json` and `GET /v1/codes` give each code a `remedy: {zh, en}` joined from its person-facing reasons, ' +
      '`null` where the person can do nothing (caller, deployment or engine causes). A remedy never changes what a code means.',
  )
  out.push('')
  out.push('| reason | remedy (zh) | remedy (en) | h5 | sdk |')
  out.push('|---|---|---|---|---|')
  for (const r of PERSON_FACING_REASONS)
    out.push(
      `| \`${r}\` | ${cell(REMEDIES[r].zh)} | ${cell(REMEDIES[r].en)} | ${codeOf('h5', r)} | ${codeOf('sdk', r)} |`,
    )
  out.push('')
  out.push('## Family-only reasons')
  out.push('')
  out.push(
    'These reasons cannot occur for callers of the other family, so they have no code there (`FAMILY_ONLY` in `src/codes/catalog.ts`).',
  )
  out.push('')
  out.push('| reason | family | why |')
  out.push('|---|---|---|')
  for (const [r, only] of Object.entries(FAMILY_ONLY)) out.push(`| \`${r}\` | ${only!.family} | ${cell(only!.why)} |`)
  out.push('')
  out.push('## Reasons shiren never produces')
  out.push('')
  out.push(
    'Every other reason has a cause in shiren, produced in a test. These two keep their seed codes for completeness (`src/codes/not-produced.ts`).',
  )
  out.push('')
  out.push("| reason | the seed's meaning | why shiren never produces it |")
  out.push('|---|---|---|')
  for (const [r, n] of Object.entries(NOT_PRODUCED)) out.push(`| \`${r}\` | ${cell(n!.seed)} | ${cell(n!.why)} |`)
  out.push('')
  out.push(NOTES)
  return out.join('\n')
}

const text = render()
if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(OUT, 'utf8')
  } catch {
    // missing counts as out of date
  }
  if (current !== text) {
    console.error('docs/codes.md is out of date: run npx tsx scripts/gen-codes-doc.ts')
    process.exit(1)
  }
  console.log('docs/codes.md is up to date')
} else {
  writeFileSync(OUT, text)
  console.log(`wrote ${OUT} (${CATALOG.length} rows)`)
}
