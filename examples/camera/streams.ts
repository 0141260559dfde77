/**
 * The camera's simulated encoder: a fixed budget of concurrent streams and WebRTC sessions, with ids
 * handed out like a real CameraAvStreamManagement server does (the lowest free id, never 0 reused
 * while allocated). Pure state; main.ts maps commands onto it.
 */
import type { VideoStreamStruct, AudioStreamStruct, VideoStreamAllocateRequest, AudioStreamAllocateRequest } from './generated/camera-av-stream-management.js';
import type { WebRTCSessionStruct } from './generated/global-types.js';

export class StreamBudgetError extends Error {
  constructor(readonly kind: string, readonly max: number) {
    super(`no ${kind} stream left: all ${max} are allocated`);
  }
}

export class CameraStreams {
  readonly video = new Map<number, VideoStreamStruct>();
  readonly audio = new Map<number, AudioStreamStruct>();
  readonly sessions = new Map<number, WebRTCSessionStruct>();
  readonly maxVideo: number;
  readonly maxAudio: number;
  /** Frames encoded so far, per video stream; grows while the stream is live. */
  readonly framesEncoded = new Map<number, number>();

  constructor(maxVideo = 2, maxAudio = 1) {
    this.maxVideo = maxVideo;
    this.maxAudio = maxAudio;
  }

  allocateVideo(request: VideoStreamAllocateRequest): number {
    if (this.video.size >= this.maxVideo) throw new StreamBudgetError('video', this.maxVideo);
    const id = lowestFreeId(this.video);
    const { watermarkEnabled, OSDEnabled, ...rest } = request;
    this.video.set(id, {
      ...rest,
      videoStreamID: id,
      referenceCount: 0,
      ...(watermarkEnabled === undefined ? {} : { watermarkEnabled }),
      ...(OSDEnabled === undefined ? {} : { OSDEnabled }),
    });
    this.framesEncoded.set(id, 0);
    return id;
  }

  allocateAudio(request: AudioStreamAllocateRequest): number {
    if (this.audio.size >= this.maxAudio) throw new StreamBudgetError('audio', this.maxAudio);
    const id = lowestFreeId(this.audio);
    this.audio.set(id, { ...request, audioStreamID: id, referenceCount: 0 });
    return id;
  }

  /** Starts a WebRTC session on existing streams; bumps their reference counts. */
  openSession(session: Omit<WebRTCSessionStruct, 'id'>): number {
    const id = lowestFreeId(this.sessions);
    this.sessions.set(id, { ...session, id });
    if (session.videoStreamID !== null) this.#addRef(this.video.get(session.videoStreamID), 1);
    if (session.audioStreamID !== null) this.#addRef(this.audio.get(session.audioStreamID), 1);
    return id;
  }

  closeSession(id: number): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    if (session.videoStreamID !== null) this.#addRef(this.video.get(session.videoStreamID), -1);
    if (session.audioStreamID !== null) this.#addRef(this.audio.get(session.audioStreamID), -1);
    return this.sessions.delete(id);
  }

  /** One encoder tick: every referenced video stream encodes frames at its max frame rate. */
  tick(seconds: number): void {
    for (const [id, stream] of this.video) {
      if (stream.referenceCount > 0) this.framesEncoded.set(id, (this.framesEncoded.get(id) ?? 0) + stream.maxFrameRate * seconds);
    }
  }

  #addRef(stream: { referenceCount: number } | undefined, delta: number): void {
    if (stream) stream.referenceCount = Math.max(0, stream.referenceCount + delta);
  }
}

function lowestFreeId(map: Map<number, unknown>): number {
  let id = 1;
  while (map.has(id)) id++;
  return id;
}
