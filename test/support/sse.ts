// Splits a server-sent-events body into the events the OpenAPI file models: `{ data: <chunk> }` or `{ data: '[DONE]' }`.
import { createParser } from 'eventsource-parser';

export interface StreamEvent {
  /** Named `event:` field, if the server sent one (Together sends none; the SDKs ignore named events). */
  event: string | undefined;
  /** The parsed JSON chunk, or the literal `[DONE]` sentinel. */
  data: unknown;
}

/** Parses a whole SSE body. Throws, naming the event, when a data payload is neither JSON nor `[DONE]`. */
export function parseSseBody(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      events.push({ event: message.event, data: parseData(message.data, events.length) });
    },
  });
  parser.feed(text);
  return events;
}

function parseData(data: string, index: number): unknown {
  if (data === '[DONE]') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new Error(`SSE event #${index} is neither JSON nor [DONE]: ${data.slice(0, 120)}`);
  }
}
