/**
 * The Hub's answer to one failed request, and a `fetch` that raises it. Handing this `fetch` to
 * @huggingface/hub keeps what its own errors drop (`X-Error-Code`, which tells a missing repo
 * from a missing revision or file), so every Hub call fails in one shape.
 */
export class HubResponseError extends Error {
  readonly httpStatus: number;
  readonly url: string;
  readonly requestId?: string;
  /** `X-Error-Code`, e.g. `RepoNotFound`, `RevisionNotFound`, `EntryNotFound`, `GatedRepo`. */
  readonly errorCode?: string;
  /** `X-Error-Message`, or the `error` field of a JSON body. */
  readonly hubMessage?: string;

  constructor(response: Response, hubMessage: string | undefined) {
    super(`${response.url} answered HTTP ${response.status}${hubMessage ? `: ${hubMessage}` : ""}`);
    this.name = "HubResponseError";
    this.httpStatus = response.status;
    this.url = response.url;
    this.requestId = response.headers.get("X-Request-Id") ?? undefined;
    this.errorCode = response.headers.get("X-Error-Code") ?? undefined;
    this.hubMessage = hubMessage;
  }
}

/**
 * A `fetch` that rejects with a HubResponseError on any answer outside 2xx, and that `signal`
 * aborts (@huggingface/hub takes no signal of its own, so it rides on the fetch).
 */
export function strictFetch(baseFetch: typeof fetch, signal?: AbortSignal): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, signal === undefined ? init : { ...init, signal });
    if (response.ok) return response;

    throw new HubResponseError(response, await readHubMessage(response));
  };
}

async function readHubMessage(response: Response): Promise<string | undefined> {
  const header = response.headers.get("X-Error-Message") ?? undefined;
  const text = await response.text().catch(() => "");
  if (header !== undefined || text === "") return header;

  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" ? body.error : undefined;
  } catch {
    return text.slice(0, 200);
  }
}
