/**
 * Reading quality as orthogonal fields (DESIGN.md "Reading quality"). The numeric values are stored
 * in Cassandra, ClickHouse and PostgreSQL and travel in columnar worker results: never renumber.
 */
export enum Origin {
  Actual = 0,
  Estimated = 1,
  Substituted = 2,
  Calculated = 3,
}

export enum ValidationState {
  NotValidated = 0,
  Passed = 1,
  Failed = 2,
  /** failed a rule but accepted by an operator or a rule configured to accept */
  Accepted = 3,
}
