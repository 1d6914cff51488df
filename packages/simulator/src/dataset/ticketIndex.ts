import type { Ticket } from "./ticketDataset.ts";

/** Finds dataset tickets mentioned in a prompt by exact subject or body, line by line. */
export interface TicketIndex {
  find(prompt: string): Ticket | undefined;
}

const SUBJECT_PREFIX = /^(subject|title)\s*:\s*/i;

/** Indexes tickets by subject and by body so a prompt is matched in O(lines). */
export function createTicketIndex(tickets: Ticket[]): TicketIndex {
  const bySubject = new Map<string, Ticket>();
  const byBody = new Map<string, Ticket>();
  for (const t of tickets) {
    bySubject.set(t.subject, t);
    byBody.set(t.body, t);
  }
  return {
    find(prompt) {
      for (const raw of prompt.split("\n")) {
        const line = raw.trim();
        if (!line) continue;
        const bySubjectLine = bySubject.get(line.replace(SUBJECT_PREFIX, ""));
        if (bySubjectLine) return bySubjectLine;
        const byBodyLine = byBody.get(line.replace(/^(body|message|description)\s*:\s*/i, ""));
        if (byBodyLine) return byBodyLine;
      }
      return undefined;
    },
  };
}
