import { describe, expect, it } from "vitest";
import { classifyTicket } from "../answers.ts";
import { findSimModel } from "../catalog.ts";
import { ticketDataset, ticketDatasetJsonl } from "./ticketDataset.ts";
import { createTicketIndex } from "./ticketIndex.ts";

const tickets = ticketDataset(42);

describe("ticket dataset", () => {
  it("has over 1,000 labelled tickets with unique subjects and valid emails", () => {
    expect(tickets.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(tickets.map((t) => t.subject)).size).toBe(tickets.length);
    expect(
      tickets.every((t) => t.subject.length <= 255 && /^[^@\s]+@[^@\s]+\.\w+$/.test(t.customerEmail)),
    ).toBe(true);
    expect(new Set(tickets.map((t) => t.category)).size).toBe(6);
    expect(new Set(tickets.map((t) => t.urgency)).size).toBe(4);
  });

  it("is deterministic for a seed and different for another", () => {
    expect(ticketDataset(42, 50)).toEqual(ticketDataset(42, 50));
    expect(ticketDataset(7, 50)[0]?.subject).not.toBe(ticketDataset(42, 50)[0]?.subject);
    expect(ticketDatasetJsonl(42, 3).trim().split("\n")).toHaveLength(3);
  });

  it("is mostly easy with a hard tail", () => {
    const easy = tickets.filter((t) => t.difficulty < 0.5).length / tickets.length;
    expect(easy).toBeGreaterThan(0.6);
    expect(easy).toBeLessThan(0.75);
    expect(tickets.some((t) => t.difficulty > 0.95)).toBe(true);
  });

  it("finds tickets by subject line or body line, and nothing in unrelated text", () => {
    const index = createTicketIndex(tickets);
    const t = tickets[17]!;
    expect(index.find(`Please classify.\nSubject: ${t.subject}\nThanks`)).toBe(t);
    expect(index.find(`Ticket:\n${t.body}`)).toBe(t);
    expect(index.find("nothing to see here")).toBeUndefined();
  });
});

describe("quality model", () => {
  const accuracy = (id: string) => {
    const model = findSimModel(id)!;
    const verdicts = tickets.map((t) => classifyTicket(model, t, 42));
    return {
      accuracy: verdicts.filter((v) => v.correct).length / verdicts.length,
      right: mean(verdicts.filter((v) => v.correct).map((v) => v.confidence)),
      wrong: mean(verdicts.filter((v) => !v.correct).map((v) => v.confidence)),
    };
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it("ranks models by quality and gives wrong answers lower confidence", () => {
    const small = accuracy("sim-small");
    const medium = accuracy("sim-medium");
    const large = accuracy("sim-large");
    expect(large.accuracy).toBeGreaterThan(medium.accuracy);
    expect(medium.accuracy).toBeGreaterThan(small.accuracy);
    expect(large.accuracy).toBeLessThan(1);
    expect(small.wrong).toBeLessThan(small.right);
    expect(medium.wrong).toBeLessThan(medium.right);
  });

  it("marks a wrong answer with a different urgency or category", () => {
    const model = findSimModel("sim-small")!;
    const wrong = tickets.map((t) => ({ t, v: classifyTicket(model, t, 42) })).filter(({ v }) => !v.correct);
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong.every(({ t, v }) => t.urgency !== v.urgency || t.category !== v.category)).toBe(true);
  });
});
