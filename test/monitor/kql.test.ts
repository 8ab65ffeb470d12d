/**
 * Every KQL the library ships, bound by Kusto.Language (test/support/kql.ts): the day-two queries
 * and the alerts' queries (queries.cases.ts), and the data collection rule's transform of the
 * front's access log (front-access-log.cases.ts). One test file for both, because loading
 * Kusto.Language takes about 4 s of CPU and jest loads it afresh for each file.
 */
import './queries.cases';
import './front-access-log.cases';
