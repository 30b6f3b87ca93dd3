//! The in-flight memory budget: every request holds a share of one byte budget from before its
//! body is read until its batch is stored or written, sized first by its bytes on the wire and
//! then by what decoding will allocate (`cost`). Over the budget a request waits a little, then
//! is refused with retry advice (HTTP 429 + `Retry-After`, gRPC `RESOURCE_EXHAUSTED` +
//! `RetryInfo`), as OTLP specifies for back-pressure.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in KiB so one request's share fits the semaphore's `u32`.
const UNIT: u64 = 1024;

/// The byte budget shared by all requests of one receiver.
#[derive(Debug, Clone)]
pub struct Budget {
    sem: Arc<Semaphore>,
    units: u64,
    wait: Duration,
}

/// A request's share of the budget, given back when dropped.
#[derive(Debug)]
pub struct Permit {
    held: OwnedSemaphorePermit,
}

/// No budget came free within the wait: the client should retry later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

fn units(bytes: u64) -> u64 {
    bytes.div_ceil(UNIT).max(1)
}

impl Budget {
    /// A budget of `bytes`; a request waits at most `wait` for its share.
    pub fn new(bytes: u64, wait: Duration) -> Budget {
        let units = units(bytes).min(u32::MAX as u64);
        Budget {
            sem: Arc::new(Semaphore::new(units as usize)),
            units,
            wait,
        }
    }

    /// Bytes not held by any request now.
    #[cfg(test)]
    fn available(&self) -> u64 {
        self.sem.available_permits() as u64 * UNIT
    }

    /// Takes `bytes` of the budget, waiting while other requests hold it. A share larger
    /// than the whole budget is never granted (callers refuse such a request as too large).
    pub async fn acquire(&self, bytes: u64) -> Result<Permit, Busy> {
        let n = units(bytes);
        if n > self.units {
            return Err(Busy);
        }
        let fut = Arc::clone(&self.sem).acquire_many_owned(n as u32);
        match tokio::time::timeout(self.wait, fut).await {
            Ok(Ok(held)) => Ok(Permit { held }),
            _ => Err(Busy),
        }
    }

    /// Makes `permit` hold `bytes` in all: waits for more, or gives back what is not needed
    /// (a request reserved for the largest body and turned out small).
    pub async fn resize(&self, permit: &mut Permit, bytes: u64) -> Result<(), Busy> {
        let have = permit.held.num_permits() as u64;
        let want = units(bytes);
        if want > have {
            let more = self.acquire((want - have) * UNIT).await?;
            permit.held.merge(more.held);
        } else if want < have {
            drop(permit.held.split((have - want) as usize));
        }
        Ok(())
    }
}

impl Permit {
    /// Bytes this permit holds.
    #[cfg(test)]
    fn bytes(&self) -> u64 {
        self.held.num_permits() as u64 * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shares_are_held_until_dropped_and_refused_when_none_frees() {
        let b = Budget::new(100 * UNIT, Duration::from_millis(20));
        let mut a = b.acquire(60 * UNIT).await.unwrap();
        assert_eq!(b.available(), 40 * UNIT);
        assert_eq!(b.acquire(50 * UNIT).await.unwrap_err(), Busy);
        b.resize(&mut a, 90 * UNIT).await.unwrap();
        assert_eq!((a.bytes(), b.available()), (90 * UNIT, 10 * UNIT));
        b.resize(&mut a, 80 * UNIT).await.unwrap();
        assert_eq!((a.bytes(), b.available()), (80 * UNIT, 20 * UNIT));
        assert_eq!(b.resize(&mut a, 101 * UNIT).await.unwrap_err(), Busy);
        assert_eq!(a.bytes(), 80 * UNIT, "a refused resize keeps what was held");
        b.resize(&mut a, 90 * UNIT).await.unwrap();
        assert_eq!(b.acquire(101 * UNIT).await.unwrap_err(), Busy);
        drop(a);
        assert_eq!(b.available(), 100 * UNIT);
        assert_eq!(b.acquire(100 * UNIT).await.unwrap().bytes(), 100 * UNIT);
    }

    #[tokio::test]
    async fn a_waiting_request_gets_the_share_another_gives_back() {
        let b = Budget::new(10 * UNIT, Duration::from_secs(60));
        let a = b.acquire(10 * UNIT).await.unwrap();
        let waiter = tokio::spawn({
            let b = b.clone();
            async move { b.acquire(5 * UNIT).await.map(|p| p.bytes()) }
        });
        tokio::task::yield_now().await;
        drop(a);
        assert_eq!(waiter.await.unwrap(), Ok(5 * UNIT));
    }
}
