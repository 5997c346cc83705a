import { REVIEW_WARNING_DAYS } from "../manifest/load";
import type { Manifest } from "../manifest/schema";

/**
 * Access-recertification reminders: partners whose `reviewBy` is past or within REVIEW_WARNING_DAYS (the same
 * window `validate` warns in), so the nightly audit doubles as the reminder. Offboarded partners need none.
 */
export interface ReviewNotice {
  orgNumber: string;
  name: string;
  reviewBy: string;
  /** Days from `today` to reviewBy; negative when past. */
  daysLeft: number;
  message: string;
}

const DAY_MS = 86_400_000;

export function reviewNotices(manifest: Pick<Manifest, "partners">, today: Date): ReviewNotice[] {
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return manifest.partners
    .flatMap((p) => {
      if (p.reviewBy === undefined || p.status === "offboarded") return [];
      const daysLeft = Math.round((Date.parse(`${p.reviewBy}T00:00:00Z`) - start) / DAY_MS);
      if (daysLeft > REVIEW_WARNING_DAYS) return [];
      const message =
        daysLeft < 0
          ? `the access review of organization ${p.orgNumber} (${p.name}) was due ${p.reviewBy}, ${-daysLeft} day(s) ago: review the access, then set a new reviewBy date or offboard the partner`
          : `the access review of organization ${p.orgNumber} (${p.name}) is due ${p.reviewBy}, in ${daysLeft} day(s)`;
      return [{ orgNumber: p.orgNumber, name: p.name, reviewBy: p.reviewBy, daysLeft, message }];
    })
    .sort((a, b) => a.daysLeft - b.daysLeft || (a.orgNumber < b.orgNumber ? -1 : 1));
}
