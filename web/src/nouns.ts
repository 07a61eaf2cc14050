/** English plurals of the nouns providers declare (`contact`, `company`, `page`, `base`, `table`). */
export function plural(noun: string): string {
  if (/[^aeiou]y$/i.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(noun)) return `${noun}es`;
  return `${noun}s`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The words are English, so are the numbers in them: "12,345". */
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** "12,345". */
export function formatNumber(n: number): string {
  return NUMBER_FORMAT.format(n);
}

/** "1 contact", "250 contacts", "12,345 contacts". */
export function count(n: number, noun: string): string {
  return `${formatNumber(n)} ${n === 1 ? noun : plural(noun)}`;
}
