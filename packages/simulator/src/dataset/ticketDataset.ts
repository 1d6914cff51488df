import { pick, seededRandom } from "../random.ts";
import {
  ambiguousBodies,
  type Category,
  categories,
  categoryTemplates,
  errorCodes,
  features,
  firstNames,
  lastNames,
  products,
  type Urgency,
  urgencies,
  urgencyPhrases,
} from "./ticketTemplates.ts";

/** One labelled support ticket. */
export interface Ticket {
  id: string;
  subject: string;
  body: string;
  customerEmail: string;
  urgency: Urgency;
  category: Category;
  /** 0–1: the model quality needed to classify it correctly. */
  difficulty: number;
}

export const DEFAULT_DATASET_SIZE = 1200;
const cache = new Map<string, Ticket[]>();

function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => slots[key] ?? key);
}

// Mostly easy tickets, a band of medium ones, and a hard tail a few of which nobody gets right.
function drawDifficulty(random: () => number): number {
  const r = random();
  if (r < 0.65) return 0.05 + random() * 0.4;
  if (r < 0.93) return 0.45 + random() * 0.45;
  return 0.9 + random() * 0.1;
}

/** The simulator's labelled ticket dataset, generated deterministically from the seed. */
export function ticketDataset(seed = 42, size = DEFAULT_DATASET_SIZE): Ticket[] {
  const cacheKey = `${seed}:${size}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const random = seededRandom(seed);
  const tickets: Ticket[] = [];
  for (let i = 0; i < size; i++) {
    const category = pick(categories, random);
    const urgency: Urgency =
      category === "feature_request" || category === "other"
        ? pick(["medium", "low", "low"] as const, random)
        : pick(urgencies, random);
    const difficulty = Math.round(drawDifficulty(random) * 1000) / 1000;
    const n = String(10_000 + i);
    const slots = {
      n,
      product: pick(products, random),
      code: pick(errorCodes, random),
      feature: pick(features, random),
    };
    const templates = categoryTemplates[category];
    const mainBody = difficulty > 0.6 ? pick(ambiguousBodies, random).text : pick(templates.bodies, random);
    const body = `${fill(mainBody, slots)} ${pick(urgencyPhrases[urgency], random)}`;
    const first = pick(firstNames, random);
    const last = pick(lastNames, random);
    tickets.push({
      id: `tkt_${n}`,
      subject: fill(pick(templates.subjects, random), slots),
      body,
      customerEmail: `${first}.${last}${i}@example.com`,
      urgency,
      category,
      difficulty,
    });
  }
  cache.set(cacheKey, tickets);
  return tickets;
}

/** The dataset as JSON Lines, for tools that read files. */
export function ticketDatasetJsonl(seed = 42, size = DEFAULT_DATASET_SIZE): string {
  return `${ticketDataset(seed, size)
    .map((t) => JSON.stringify(t))
    .join("\n")}\n`;
}
