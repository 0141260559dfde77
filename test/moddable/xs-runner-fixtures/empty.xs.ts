// Runner fixture: a scenario file that registers nothing must fail the run.
export const nothing = 0;
