/**
 * IDN-5: the suites that need a real Active Directory (a Samba DC each), one after the
 * other in this one file so only one DC runs at a time, and the outage suite last.
 */
import "./directory/sync.suite.js";
import "./directory/policy.suite.js";
import "./directory/reconcile.suite.js";
import "./directory/link.suite.js";
import "./directory/outage.suite.js";
