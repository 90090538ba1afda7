//! `eval --batch`: one request a line in, one decision a line out, in input order, on every core.
//!
//! The reader (the calling thread) cuts the input into blocks of whole lines
//! ([`BLOCK_BYTES`]); workers, each with its own [`PolicyCache`], answer every line of a block
//! into one output buffer; the calling thread writes the buffers in input order. At most
//! [`IN_FLIGHT_PER_WORKER`] blocks per worker are read and not yet written, so memory is
//! bounded by the block size (and by the longest line), not by the input. A short read (a pipe)
//! sends what is complete at once instead of waiting for a full block.
//!
//! Every line is answered exactly as [`RequestDoc::from_text`] and [`RequestDoc::decision`]
//! answer it alone (tests/cli.rs compares the two on the benchmark batches): the decision is
//! written straight into the buffer, its explanation line by line, without building the
//! intermediate [`super::request::DecisionOut`].

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::request::{ErrorOut, PolicyCache, RequestDoc};
use crate::json;

/// The input a block aims at (a block always holds whole lines, so one long line makes a
/// longer block).
pub const BLOCK_BYTES: usize = 64 * 1024;
/// One read from the input, at most.
const READ_BYTES: usize = 64 * 1024;
/// Blocks read ahead of the writer, per worker.
pub const IN_FLIGHT_PER_WORKER: usize = 1;

/// How a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchSummary {
    /// Lines read, blank ones included.
    pub lines: usize,
    /// Lines answered with an error.
    pub failed: usize,
    /// Blank lines (skipped: no answer is written for them).
    pub blank: usize,
}

/// Why a batch stopped before the end of its input.
#[derive(Debug)]
pub enum BatchError {
    /// Reading the input failed.
    Read(std::io::Error),
    /// Writing the output failed.
    Write(std::io::Error),
    /// This line (1-based) is longer than `limit` bytes: every line before it was answered.
    LineTooLong { line: usize },
}

/// One thread's state: its policy cache and scratch space.
#[derive(Debug, Default)]
pub struct Worker {
    cache: PolicyCache,
}

impl Worker {
    /// Answer one line (with its newline, if it has one) into `out`; `lineno` is 1-based.
    /// Returns `None` for a blank line (nothing written), `Some(true)` for a decision,
    /// `Some(false)` for an error line.
    pub fn answer(
        &mut self,
        line: &[u8],
        lineno: usize,
        unknown: &[String],
        out: &mut Vec<u8>,
    ) -> Option<bool> {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            return None;
        }
        let result = match std::str::from_utf8(line) {
            Ok(text) => RequestDoc::from_text(text, unknown, &mut self.cache)
                .map_err(|e| (e.id, format!("line {lineno}: {}", e.message))),
            Err(_) => Err((
                serde_json::Value::Null,
                format!(
                    "line {lineno}: {}",
                    json::parse_bytes(line)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default()
                ),
            )),
        };
        let ok = match result {
            Ok(doc) => {
                doc.write_decision(out);
                true
            }
            Err((id, message)) => {
                // Writing into a Vec cannot fail.
                let _ = serde_json::to_writer(
                    &mut *out,
                    &ErrorOut {
                        id: &id,
                        error: &message,
                    },
                );
                false
            }
        };
        out.push(b'\n');
        Some(ok)
    }

    /// Answer every line of `block` (whole lines; the last may lack its newline), whose first
    /// line is `first_line` (1-based). Returns the numbers of error lines and of blank lines.
    pub fn answer_block(
        &mut self,
        block: &[u8],
        first_line: usize,
        unknown: &[String],
        out: &mut Vec<u8>,
    ) -> (usize, usize) {
        let (mut failed, mut blank) = (0, 0);
        for (lineno, line) in (first_line..).zip(lines(block)) {
            match self.answer(line, lineno, unknown, out) {
                Some(true) => {}
                Some(false) => failed += 1,
                None => blank += 1,
            }
        }
        (failed, blank)
    }
}

/// The lines of a block, each with its newline (the last may have none).
fn lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = block;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// A block of whole lines read from the input.
struct Block {
    seq: usize,
    first_line: usize,
    bytes: Vec<u8>,
}

/// A block answered.
struct Answered {
    seq: usize,
    out: Vec<u8>,
    failed: usize,
    blank: usize,
    /// The input buffer, handed back for reuse.
    bytes: Vec<u8>,
    /// The worker panicked on this block.
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// How many workers: one per core, at least two (so that the ordering is always exercised)
/// and at most eight.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8)
}

/// Answer every line of `input` into `out`, in order. `max_line` is the longest line accepted
/// (with its newline): a longer one stops the batch with [`BatchError::LineTooLong`] after
/// every line before it has been answered and written.
pub fn run(
    input: &mut dyn Read,
    out: &mut dyn Write,
    unknown: &[String],
    max_line: usize,
    workers: usize,
) -> Result<BatchSummary, BatchError> {
    let workers = workers.max(1);
    let (work_tx, work_rx) = mpsc::sync_channel::<Block>(workers * IN_FLIGHT_PER_WORKER);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = mpsc::channel::<Answered>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut worker = Worker::default();
                loop {
                    // The lock is held only while waiting for the next block.
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(block)) = next else { break };
                    let mut out = Vec::with_capacity(block.bytes.len());
                    // A panic (a bug) is carried to the writer, which re-raises it: the
                    // process ends as it would have without threads.
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        worker.answer_block(&block.bytes, block.first_line, unknown, &mut out)
                    }));
                    let ((failed, blank), panic) = match answer {
                        Ok(counts) => (counts, None),
                        Err(payload) => ((0, 0), Some(payload)),
                    };
                    let stop = panic.is_some();
                    let answered = Answered {
                        seq: block.seq,
                        out,
                        failed,
                        blank,
                        bytes: block.bytes,
                        panic,
                    };
                    if done_tx.send(answered).is_err() || stop {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut w = Writer {
            out,
            done: done_rx,
            next: 0,
            sent: 0,
            waiting: Vec::new(),
            failed: 0,
            blank: 0,
            spare: Vec::new(),
        };
        let result = read_blocks(input, max_line, workers, &work_tx, &mut w);
        drop(work_tx);
        // Write everything sent, even after a read error or an over-long line.
        let flushed = w.wait_all();
        let summary = result?;
        flushed?;
        Ok(BatchSummary {
            lines: summary,
            failed: w.failed,
            blank: w.blank,
        })
    })
}

/// The writing side: answered blocks, put back in order.
struct Writer<'a> {
    out: &'a mut dyn Write,
    done: mpsc::Receiver<Answered>,
    /// The next block to write.
    next: usize,
    /// Blocks sent so far.
    sent: usize,
    waiting: Vec<Answered>,
    failed: usize,
    blank: usize,
    /// Input buffers to reuse.
    spare: Vec<Vec<u8>>,
}

impl Writer<'_> {
    fn in_flight(&self) -> usize {
        self.sent - self.next
    }

    /// Take one answered block (waiting for it when `block` is set) and write what is in order.
    fn receive(&mut self, block: bool) -> Result<bool, BatchError> {
        let got = if block {
            self.done.recv().ok()
        } else {
            self.done.try_recv().ok()
        };
        let Some(mut a) = got else { return Ok(false) };
        if let Some(payload) = a.panic.take() {
            std::panic::resume_unwind(payload);
        }
        self.waiting.push(a);
        while let Some(i) = self.waiting.iter().position(|a| a.seq == self.next) {
            let a = self.waiting.swap_remove(i);
            self.out.write_all(&a.out).map_err(BatchError::Write)?;
            self.failed += a.failed;
            self.blank += a.blank;
            self.next += 1;
            let mut bytes = a.bytes;
            bytes.clear();
            if self.spare.len() < 4 {
                self.spare.push(bytes);
            }
        }
        Ok(true)
    }

    fn wait_all(&mut self) -> Result<(), BatchError> {
        while self.in_flight() > 0 {
            if !self.receive(true)? {
                // A worker died: nothing more will come.
                break;
            }
        }
        Ok(())
    }
}

/// Read `input`, send blocks of whole lines; returns the number of lines read.
fn read_blocks(
    input: &mut dyn Read,
    max_line: usize,
    workers: usize,
    work: &mpsc::SyncSender<Block>,
    w: &mut Writer<'_>,
) -> Result<usize, BatchError> {
    let limit = workers * IN_FLIGHT_PER_WORKER + 1;
    let mut lines = 0usize;
    let mut cur: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + 64 * 1024);
    // `cur[..scanned]` holds whole lines, each checked against `max_line`.
    let mut scanned = 0usize;
    let mut line_count = 0usize;
    let mut eof = false;
    loop {
        // Fill.
        let mut short = false;
        if !eof {
            if cur.capacity() - cur.len() < READ_BYTES / 4 {
                cur.reserve(READ_BYTES);
            }
            let len = cur.len();
            let room = (cur.capacity() - len).min(READ_BYTES);
            cur.resize(len + room, 0);
            let n = loop {
                match input.read(&mut cur[len..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        cur.truncate(len);
                        return Err(BatchError::Read(e));
                    }
                }
            };
            cur.truncate(len + n);
            eof = n == 0;
            short = n < room;
        }
        // Find the whole lines read so far, checking each one's length.
        let mut pos = scanned;
        while let Some(i) = memchr::memchr(b'\n', &cur[pos..]) {
            let end = pos + i + 1;
            if end - pos > max_line {
                // Send the whole lines before it, then stop.
                send(&mut cur, pos, lines, work, w, limit)?;
                return Err(BatchError::LineTooLong {
                    line: lines + line_count + 1,
                });
            }
            line_count += 1;
            pos = end;
        }
        scanned = pos;
        let partial = cur.len() - scanned;
        if partial > max_line {
            send(&mut cur, scanned, lines, work, w, limit)?;
            return Err(BatchError::LineTooLong {
                line: lines + line_count + 1,
            });
        }
        if eof {
            if partial > 0 {
                line_count += 1;
                scanned = cur.len();
            }
            if scanned > 0 {
                send(&mut cur, scanned, lines, work, w, limit)?;
            }
            lines += line_count;
            return Ok(lines);
        }
        if scanned > 0 && (scanned >= BLOCK_BYTES || short) {
            send(&mut cur, scanned, lines, work, w, limit)?;
            lines += line_count;
            line_count = 0;
            scanned = 0;
        }
        // Write whatever is already answered, without waiting.
        while w.receive(false)? {}
    }
}

/// Send `cur[..upto]` (whole lines, the first being line `before + 1`) as a block, keeping the
/// rest in `cur`; waits while too many blocks are in flight.
fn send(
    cur: &mut Vec<u8>,
    upto: usize,
    before: usize,
    work: &mpsc::SyncSender<Block>,
    w: &mut Writer<'_>,
    limit: usize,
) -> Result<(), BatchError> {
    if upto == 0 {
        return Ok(());
    }
    let mut next = w
        .spare
        .pop()
        .unwrap_or_else(|| Vec::with_capacity(BLOCK_BYTES + 64 * 1024));
    next.extend_from_slice(&cur[upto..]);
    cur.truncate(upto);
    let bytes = std::mem::replace(cur, next);
    while w.in_flight() >= limit {
        w.receive(true)?;
    }
    let block = Block {
        seq: w.sent,
        first_line: before + 1,
        bytes,
    };
    w.sent += 1;
    if work.send(block).is_err() {
        // Every worker is gone (one panicked): the scope propagates the panic.
        w.sent -= 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"id": ID, "principal": "arn:aws:iam::111122223333:user/a", "action": "kms:Encrypt", "resource": "arn:aws:kms:us-east-1:111122223333:key/k", "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}], "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"}]}}"#;

    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| LINE.replace("ID", &i.to_string()) + "\n")
            .collect()
    }

    fn ids(out: &[u8]) -> Vec<serde_json::Value> {
        std::str::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].clone())
            .collect()
    }

    /// Gives at most `n` bytes a read, as a pipe may.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn answers_stay_in_input_order_across_blocks_and_workers() {
        // About 1.6 MB: several blocks, on three workers.
        let text = lines(4000);
        let mut out = Vec::new();
        let s = run(&mut text.as_bytes(), &mut out, &[], 1 << 20, 3).unwrap();
        assert_eq!(
            s,
            BatchSummary {
                lines: 4000,
                failed: 0,
                blank: 0
            }
        );
        let want: Vec<serde_json::Value> = (0..4000).map(serde_json::Value::from).collect();
        assert_eq!(ids(&out), want);
        // Short reads send what is complete: the same answers.
        let mut trickled = Vec::new();
        run(
            &mut Trickle(text.as_bytes(), 777),
            &mut trickled,
            &[],
            1 << 20,
            2,
        )
        .unwrap();
        assert_eq!(trickled, out);
    }

    #[test]
    fn a_last_line_without_newline_blank_lines_and_errors_count() {
        let text = format!(
            "{}\n\n  \nnot json\n{}",
            lines(1).trim_end(),
            lines(1).trim_end()
        );
        let mut out = Vec::new();
        let s = run(&mut text.as_bytes(), &mut out, &[], 1 << 20, 2).unwrap();
        assert_eq!(
            s,
            BatchSummary {
                lines: 5,
                failed: 1,
                blank: 2
            }
        );
        let out = String::from_utf8(out).unwrap();
        let answers: Vec<&str> = out.lines().collect();
        assert_eq!(answers.len(), 3);
        assert!(
            answers[1].contains("\"error\":\"line 4: "),
            "{}",
            answers[1]
        );
    }

    #[test]
    fn a_line_over_the_limit_stops_after_answering_the_lines_before_it() {
        let long = format!("{{\"id\": \"{}\"}}\n", "x".repeat(5000));
        for text in [
            format!("{}{long}{}", lines(3), lines(2)),
            // Over the limit and never ended (as /dev/zero).
            format!("{}{}", lines(3), "x".repeat(50_000)),
        ] {
            let mut out = Vec::new();
            match run(&mut Trickle(text.as_bytes(), 1000), &mut out, &[], 4096, 2) {
                Err(BatchError::LineTooLong { line: 4 }) => {}
                other => panic!("{other:?}"),
            }
            assert_eq!(ids(&out), vec![0, 1, 2]);
        }
    }
}
