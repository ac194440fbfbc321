// Preloaded into `npm start` by bench/fleet.ts: appends the process's peak RSS and CPU time to stdout
// at exit, in the shape the bench's own children print, so `npm start` is measured as it ships.
process.on("exit", () => {
  const usage = process.resourceUsage();
  process.stdout.write(JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
});
