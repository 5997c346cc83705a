import { orgNumberProblem } from "../../infra/manifest/orgNumber";
import { ICD_NORWAY } from "../../infra/naming";
import { EXPECTED_SCOPE } from "./types";

/**
 * Skyporten subjects: `0192:<organization number>;<scope>`. Skyporten appends the one requested scope after a
 * semicolon because Azure cannot map any other claim into a federated credential's subject (Digdir's Skyporten
 * guide); `0192` is the ICD of the Norwegian business register, the only one Maskinporten supports.
 */
export type SubjectCheck = { ok: true; orgNumber: string } | { ok: false; problem: string };

const SUBJECT = new RegExp(`^${ICD_NORWAY}:([^;]*);(.*)$`);

/** Checks a subject against the platform scope; `what` names the field in the message (e.g. `subject`). */
export function checkSubject(what: string, subject: string): SubjectCheck {
  const match = SUBJECT.exec(subject);
  if (match === null) {
    return {
      ok: false,
      problem: `${what} "${subject}" is not of the form "${ICD_NORWAY}:<organization number>;${EXPECTED_SCOPE}" (Skyporten puts the scope after a semicolon; the older "${ICD_NORWAY}:<organization number>" form never matches)`,
    };
  }
  const orgNumber = match[1] ?? "";
  const scope = match[2] ?? "";
  const orgProblem = orgNumberProblem(orgNumber);
  if (orgProblem !== undefined) {
    return { ok: false, problem: `${what} "${subject}" has an invalid organization number: ${orgProblem}` };
  }
  if (scope !== EXPECTED_SCOPE) {
    return {
      ok: false,
      problem: `${what} "${subject}" names scope "${scope}"; it must be the platform scope "${EXPECTED_SCOPE}"`,
    };
  }
  return { ok: true, orgNumber };
}
