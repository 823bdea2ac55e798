// The front's own script (the CSP allows no inline script). The pages work without it.
// The place suggestions of the search form arrive as a <datalist> htmx swaps in; nothing else
// is needed here yet.
