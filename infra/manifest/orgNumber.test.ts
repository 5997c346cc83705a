import { describe, expect, it } from "vitest";
import { isValidOrgNumber, mod11CheckDigit, orgNumberProblem } from "./orgNumber";

describe("mod11CheckDigit", () => {
  it.each([
    ["91742257", 5],
    ["99182582", 7],
    ["12345678", 5],
    // weights 3,2,7,6,5,4,3,2 over 9,1,0,0,0,0,0,1: sum 31, 31 mod 11 = 9, 11 - 9 = 2
    ["91000001", 2],
    // sum 0: 11 - 0 = 11, which means 0
    ["00000000", 0],
  ])("%s -> %i", (firstEight, digit) => {
    expect(mod11CheckDigit(firstEight)).toBe(digit);
  });

  it("has no digit when 11 - (sum mod 11) is 10", () => {
    // 9*3+1*2+6*7+7*6+0*5+6*4+5*3+7*2 = 166, 166 mod 11 = 1, 11 - 1 = 10
    expect(mod11CheckDigit("91670657")).toBeUndefined();
  });

  it.each(["1234567", "123456789", "1234567a", ""])("refuses %j (not eight digits)", (input) => {
    expect(mod11CheckDigit(input)).toBeUndefined();
  });
});

describe("orgNumberProblem", () => {
  it.each(["917422575", "991825827", "123456785", "910000012"])("accepts %s", (n) => {
    expect(orgNumberProblem(n)).toBeUndefined();
    expect(isValidOrgNumber(n)).toBe(true);
  });

  it("refuses 000000000: it passes MOD11 but is no organization", () => {
    expect(mod11CheckDigit("00000000")).toBe(0);
    expect(orgNumberProblem("000000000")).toBe(
      '"000000000" is not an organization number (all zeros); use the partner\'s number from the Central Coordinating Register (Enhetsregisteret)',
    );
    expect(isValidOrgNumber("000000000")).toBe(false);
  });

  it.each([
    [
      "123456789",
      '"123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [
      "916706573",
      '"916706573" is not a valid organization number: no MOD11 check digit exists for its first eight digits; check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [
      "91742257",
      'must be exactly 9 digits (got "91742257"); write the number without spaces, e.g. "917422575"',
    ],
    [
      "9174225750",
      'must be exactly 9 digits (got "9174225750"); write the number without spaces, e.g. "917422575"',
    ],
    [
      "91742257a",
      'must be exactly 9 digits (got "91742257a"); write the number without spaces, e.g. "917422575"',
    ],
    [
      "917 422 575",
      'must be exactly 9 digits (got "917 422 575"); write the number without spaces, e.g. "917422575"',
    ],
    [
      " 917422575",
      'must be exactly 9 digits (got " 917422575"); write the number without spaces, e.g. "917422575"',
    ],
    [
      "９１７４２２５７５",
      'must be exactly 9 digits (got "９１７４２２５７５"); write the number without spaces, e.g. "917422575"',
    ],
  ])("refuses %j", (n, problem) => {
    expect(orgNumberProblem(n)).toBe(problem);
    expect(isValidOrgNumber(n)).toBe(false);
  });

  it("accepts exactly one check digit for every eight-digit stem that has one", () => {
    for (const stem of ["91742257", "99182582", "12345678", "80000000", "99999999"]) {
      const valid = Array.from({ length: 10 }, (_, d) => `${stem}${d}`).filter(isValidOrgNumber);
      expect(valid).toEqual([`${stem}${mod11CheckDigit(stem)}`]);
    }
  });
});
