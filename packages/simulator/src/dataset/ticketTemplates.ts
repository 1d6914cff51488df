/** Ticket urgencies, most urgent first. */
export const urgencies = ["critical", "high", "medium", "low"] as const;
/** Ticket categories. */
export const categories = [
  "billing",
  "technical",
  "account",
  "feature_request",
  "bug_report",
  "other",
] as const;

export type Urgency = (typeof urgencies)[number];
export type Category = (typeof categories)[number];

/** Phrases that set the tone of each urgency. */
export const urgencyPhrases: Record<Urgency, string[]> = {
  critical: [
    "This is blocking our entire team right now.",
    "Production is down and customers are affected.",
    "We are losing revenue every minute this continues.",
  ],
  high: [
    "We need this resolved today if at all possible.",
    "This is affecting several of our users.",
    "Please treat this as a priority.",
  ],
  medium: [
    "It would be great to get this sorted this week.",
    "It is inconvenient but we have a workaround.",
    "Not urgent, but it keeps coming up.",
  ],
  low: [
    "No rush at all, just wanted to mention it.",
    "Whenever you get a chance.",
    "Just a small thing I noticed.",
  ],
};

/** Subject and body templates per category; `{n}`, `{product}`, `{code}`, `{feature}` are filled in. */
export const categoryTemplates: Record<Category, { subjects: string[]; bodies: string[] }> = {
  billing: {
    subjects: [
      "Charged twice for order #{n}",
      "Refund request for invoice #{n}",
      "Wrong amount on invoice #{n}",
    ],
    bodies: [
      "My card was charged twice for the {product} plan on invoice #{n}. Please refund the duplicate charge.",
      "The invoice #{n} shows a price that does not match the {product} plan I signed up for.",
      "I cancelled {product} last month but was still billed on invoice #{n}.",
    ],
  },
  technical: {
    subjects: [
      "API returns error {code} on request #{n}",
      "{product} sync failing since update #{n}",
      "Timeouts when exporting report #{n}",
    ],
    bodies: [
      "Our integration calls to {product} fail with error {code}. Request id #{n} is one example.",
      "Since the latest update, {product} stops syncing after a few minutes and logs error {code}.",
      "Exporting report #{n} from {product} times out after thirty seconds every time.",
    ],
  },
  account: {
    subjects: [
      "Cannot log in to account #{n}",
      "Please transfer ownership of workspace #{n}",
      "Two-factor reset for account #{n}",
    ],
    bodies: [
      "I am locked out of account #{n} after resetting my password for {product}.",
      "Our admin left the company; please move ownership of workspace #{n} to me.",
      "I lost my phone and need my two-factor authentication for account #{n} reset.",
    ],
  },
  feature_request: {
    subjects: [
      "Feature idea: {feature} (ref #{n})",
      "Could {product} support {feature}? #{n}",
      "Request: add {feature} to {product} #{n}",
    ],
    bodies: [
      "It would help our team a lot if {product} supported {feature}.",
      "We would love to see {feature} in {product}; several customers have asked for it.",
      "Please consider adding {feature}. Competitors already offer it.",
    ],
  },
  bug_report: {
    subjects: [
      "Button does nothing on page #{n}",
      "Dashboard shows wrong totals (#{n})",
      "Crash when saving draft #{n}",
    ],
    bodies: [
      "On page #{n} of {product}, clicking Save does nothing and no error is shown.",
      "The {product} dashboard totals do not match the underlying data for report #{n}.",
      "{product} crashes with {code} whenever I save draft #{n}.",
    ],
  },
  other: {
    subjects: [
      "Question about your company (#{n})",
      "Partnership inquiry #{n}",
      "Feedback on {product} #{n}",
    ],
    bodies: [
      "I would like to know whether you have an office in my region. Reference #{n}.",
      "We are interested in a partnership around {product}. Who should we talk to?",
      "Just wanted to share some general thoughts about {product}.",
    ],
  },
};

/** Bodies that mix two concerns: the reason some tickets are hard. */
export const ambiguousBodies: { text: string; also: Category }[] = [
  {
    text: "After the update #{n}, {product} charged my card again and now I cannot log in either.",
    also: "account",
  },
  {
    text: "The {product} export (#{n}) fails with {code}, and I think it also billed me for the retries.",
    also: "billing",
  },
  {
    text: "Is it a bug or missing feature that {product} cannot do {feature}? Ticket #{n}.",
    also: "feature_request",
  },
  { text: "My account #{n} shows the wrong plan, so maybe the dashboard is broken too.", also: "bug_report" },
];

export const products = ["Acme Analytics", "Acme CRM", "Acme Mail", "Acme Sync", "Acme Pay", "Acme Forms"];
export const features = [
  "dark mode",
  "SAML single sign-on",
  "CSV import",
  "webhooks",
  "audit logs",
  "custom fields",
];
export const errorCodes = ["E1001", "E2040", "HTTP 500", "HTTP 429", "ERR_TIMEOUT", "E3303"];
export const firstNames = [
  "ana",
  "ben",
  "chloe",
  "dev",
  "emma",
  "farid",
  "grace",
  "hiro",
  "ines",
  "jon",
  "kofi",
  "lena",
];
export const lastNames = [
  "silva",
  "okafor",
  "novak",
  "tanaka",
  "muller",
  "garcia",
  "smith",
  "kim",
  "rossi",
  "ali",
];
