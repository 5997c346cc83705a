/**
 * Norwegian organization numbers (organisasjonsnummer): 9 digits, the last a MOD11 check digit over the
 * first eight with weights 3, 2, 7, 6, 5, 4, 3, 2. A remainder giving 11 means 0; one giving 10 means the
 * number cannot be valid. https://www.brreg.no/om-oss/registrene-vare/om-enhetsregisteret/organisasjonsnummeret/
 */
const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;

/** The check digit for the first eight digits, or undefined when no digit can make the number valid. */
export function mod11CheckDigit(firstEight: string): number | undefined {
  if (!/^\d{8}$/.test(firstEight)) return undefined;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(firstEight[i]) * WEIGHTS[i]!;
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** Why a string is not a valid organization number, or undefined when it is one. */
export function orgNumberProblem(value: string): string | undefined {
  if (!/^\d{9}$/.test(value)) {
    return `must be exactly 9 digits (got "${value}"); write the number without spaces, e.g. "917422575"`;
  }
  // All zeros passes the arithmetic (check digit 0) but is no organization (domain.md).
  if (value === "000000000") return `"${value}" is not an organization number (all zeros); use the partner's number from the Central Coordinating Register (Enhetsregisteret)`;
  const expected = mod11CheckDigit(value.slice(0, 8));
  if (expected === undefined) {
    return `"${value}" is not a valid organization number: no MOD11 check digit exists for its first eight digits; check the number in the Central Coordinating Register (Enhetsregisteret)`;
  }
  if (Number(value[8]) !== expected) {
    return `"${value}" has a wrong MOD11 check digit (expected ${expected}, got ${value[8]}); check the number in the Central Coordinating Register (Enhetsregisteret)`;
  }
  return undefined;
}

export function isValidOrgNumber(value: string): boolean {
  return orgNumberProblem(value) === undefined;
}
