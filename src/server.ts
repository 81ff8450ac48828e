import type { FastifyInstance } from 'fastify'
import { compose, type ComposeOptions, type Shiren } from './compose.js'
import type { Config } from './config/index.js'
import { buildApp, buildOpsApp } from './http/index.js'
import type { Logger } from './logging.js'
import type { Analyser } from './verifications/index.js'
import { RecognizerLoadError } from './audio/index.js'
import { createAnalysisEngine } from './analysis/index.js'
import { ModelMissingError, resolveModel } from './vision/index.js'

const SPEECH_MODEL_IDS = ['speech-zh-encoder', 'speech-zh-decoder', 'speech-zh-joiner', 'speech-zh-tokens']

/** The ids among `ids` whose file is absent. */
function missingModels(modelsDir: string, ids: string[]): string[] {
  return ids.filter((id) => {
    try {
      resolveModel(id, modelsDir)
      return false
    } catch {
      return true
    }
  })
}

export interface Running {
  shiren: Shiren
  /** the HTTP app: the whole API (roles all and api) or the ops listener (role worker) */
  app: FastifyInstance
  url: string
  /**
   * The drain: stop accepting requests (fastify close: in-flight ones are answered), stop taking
   * jobs and let the running ones finish (queue.stop), then close the engines and connections.
   */
  stop(): Promise<void>
}

/**
 * Loads the vision engine when its models are present. Without them the server still runs and
 * every analysis answers VISION_ENGINE_UNAVAILABLE (a "not supported" code), never a made-up verdict.
 */
export async function loadAnalyser(
  config: Config,
  log: Logger,
): Promise<(Analyser & { close(): Promise<void> }) | null> {
  try {
    const engine = await createAnalysisEngine({
      modelsDir: config.modelsDir,
      ...(config.analysisWorkers > 0 && { workers: config.analysisWorkers }),
      ...(config.digitRecognizer && { digitRecognizer: config.digitRecognizer }),
    })
    const speechMissing = config.digitRecognizer ? [] : missingModels(config.modelsDir, SPEECH_MODEL_IDS)
    if (speechMissing.length)
      log.warn(
        { modelsDir: config.modelsDir, missing: speechMissing },
        'the speech models are missing: read-the-digits (digital) attempts answer "not available" (run `shiren models pull`)',
      )
    return engine
  } catch (err) {
    // the operator asked for a recogniser: running without it would pass digits nobody checked
    if (err instanceof RecognizerLoadError) throw err
    if (err instanceof ModelMissingError) {
      log.warn(
        { modelsDir: config.modelsDir, err: err.message },
        'a model is missing: face analysis is unavailable (run `shiren models pull`)',
      )
    } else {
      log.error({ err: (err as Error).message }, 'the vision engine could not start: face analysis is unavailable')
    }
    return null
  }
}

export async function startServer(
  config: Config,
  log: Logger,
  opts: ComposeOptions & { withVision?: boolean } = {},
): Promise<Running> {
  // an api process never loads the vision engine (its workers hold the models) and runs no job
  const api = config.role === 'api'
  const analyser = api
    ? null
    : opts.analyser !== undefined
      ? opts.analyser
      : opts.withVision === false
        ? null
        : await loadAnalyser(config, log)
  const shiren = await compose(config, log, { ...opts, analyser, startQueue: !api && (opts.startQueue ?? true) })
  // a worker answers no caller: its only listener is the ops one (/healthz, /readyz, /metrics)
  const app = config.role === 'worker' ? await buildOpsApp(shiren) : await buildApp(shiren)
  const address =
    config.role === 'worker'
      ? await app.listen({ host: config.opsHost, port: config.opsPort })
      : await app.listen({ host: config.host, port: config.port })
  // retention runs in every process; the purge is idempotent, so several processes do not conflict.
  // Each minute it purges batches until none is full (at most 50 batches, so one tick never runs on)
  let sweeping = false
  const sweep = setInterval(() => {
    // expiry is decided at read time: the sweep announces expired verifications to their webhooks
    shiren.webhooks
      .sweepExpired()
      .catch((err) => log.error({ err: (err as Error).message }, 'webhook expiry sweep failed'))
    if (sweeping) return
    sweeping = true
    void (async () => {
      for (let i = 0; i < 50 && (await shiren.verifications.purgeExpired(200)) === 200; i++);
    })()
      .catch((err) => log.error({ err: (err as Error).message }, 'retention sweep failed'))
      .finally(() => {
        sweeping = false
      })
  }, 60_000)
  sweep.unref()
  const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1')
  return {
    shiren,
    app,
    url,
    async stop() {
      clearInterval(sweep)
      await app.close()
      await shiren.close()
      await (analyser as { close?: () => Promise<void> } | null)?.close?.()
    },
  }
}
