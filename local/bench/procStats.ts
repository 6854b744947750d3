import fs from 'fs'

const CLOCK_TICKS_PER_SEC = 100

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])

  return (utime + stime) / CLOCK_TICKS_PER_SEC
}

/** Peak resident set size (VmHWM) in MB since the last reset. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmHWM:\s+(\d+) kB/.exec(status)

  return match ? Number(match[1]) / 1024 : NaN
}

/** Resets VmHWM so the next reading is the peak of one batch (Linux, needs ptrace rights). */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5')

    return true
  } catch {
    return false
  }
}
