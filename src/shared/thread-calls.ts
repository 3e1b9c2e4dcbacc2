import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A call waiting for its worker thread's answer. */
export interface WaitingCall {
  reject: (error: Error) => void;
}

/**
 * The calls made to a worker thread and answered by id. The thread starts at the first call and
 * keeps the process alive only while a call waits; if it fails or stops, every waiting call fails
 * with it, and the next call starts it again.
 */
export class ThreadCalls<Call extends WaitingCall, Answer> {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly calls = new Map<number, Call>();

  constructor(
    private readonly thread: { url: URL; options: WorkerOptions; name: string },
    private readonly answer: (message: Answer, worker: Worker) => void,
  ) {}

  /** Sends the request made for a new call's id; `call` waits until its answer is `settled`. */
  call(call: Call, request: (id: number) => unknown): void {
    const worker = this.started();
    const id = this.nextId++;
    this.calls.set(id, call);
    worker.ref();
    worker.postMessage(request(id));
  }

  /** The call waiting under this id, still waiting. */
  waiting(id: number): Call | undefined {
    return this.calls.get(id);
  }

  /** The call waiting under this id, no longer waiting; undefined when none does. */
  settled(id: number): Call | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    this.calls.delete(id);
    if (this.calls.size === 0) this.worker?.unref();
    return call;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const { url, options, name } = this.thread;
    const worker = new Worker(url, options);
    worker.on('message', (message: Answer) => this.answer(message, worker));
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const call of this.calls.values()) call.reject(error);
      this.calls.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`${name} stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }
}
