import type { Reason } from './reasons.js'

/**
 * Reasons of the catalog that shiren never produces, with the seed's meaning of their codes and why
 * (rendered into docs/codes.md). Every other reason has a cause in shiren and a test that produces it.
 */
export const NOT_PRODUCED: Partial<Record<Reason, { seed: string; why: string }>> = {
  LIVENESS_FAILED: {
    seed: 'sdk -14099 请确保本人操作且正脸对框 / 活体识别不通过，按照如下提示再次尝试 (liveness not passed, try again); h5 1005 活体检测未通过',
    why: 'a catch-all for a liveness failure without a more specific code; every liveness failure shiren finds has its own reason (STILL_IMAGE_VIDEO, VIDEO_LIVENESS_FAILED, SPOOF_DETECTED, SCREEN_REPLAY_DETECTED, SILENT_LIVENESS_BELOW_THRESHOLD, the action and digit reasons), so the catch-all is never needed',
  },
  COMPARE_ENGINE_ERROR: {
    seed: 'sdk -4005 服务内部错误 / 计算特征距离失败 (computing the feature distance failed); h5 2001 调用比对引擎接口出错',
    why: 'the comparison runs in-process in the analysis worker, not behind a separate engine interface: an embedding that cannot be computed is COMPARE_FAILED (2015 / -4003), a worker that throws is LIVENESS_ENGINE_ERROR, missing models are VISION_ENGINE_UNAVAILABLE; no call to a comparison engine exists that could fail on its own',
  },
}
