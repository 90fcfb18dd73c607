/** The webview's end of a panel contract: typed post/receive and state that survives reloads. */
interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function createBridge<FromHost, ToHost, State = unknown>() {
  return {
    post(message: ToHost): void {
      api.postMessage(message);
    },
    /** Listens for host messages; returns the unsubscribe function. */
    onMessage(handler: (message: FromHost) => void): () => void {
      const listener = (e: MessageEvent) => handler(e.data as FromHost);
      window.addEventListener('message', listener);
      return () => window.removeEventListener('message', listener);
    },
    getState(): State | undefined {
      return api.getState() as State | undefined;
    },
    setState(state: State): void {
      api.setState(state);
    },
  };
}
