using Xunit;

namespace MLNetAdam.Tests.Numerics;

public sealed class WorkerPoolTests
{
    private sealed class CountingJob(int chunks) : IParallelJob
    {
        public int[] Runs { get; } = new int[chunks];

        public void Execute(int part, int parts)
        {
            Assert.Equal(Runs.Length, parts);
            Interlocked.Increment(ref Runs[part]);
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 64)]
    public void EveryChunkRunsExactlyOnceRunAfterRun(int threads, int chunks)
    {
        using var pool = new WorkerPool(threads);
        for (int run = 0; run < 2000; run++)
        {
            var job = new CountingJob(chunks);
            pool.Run(job, chunks);
            Assert.All(job.Runs, r => Assert.Equal(1, r));
        }
    }

    private sealed class StalledWorkerJob(int callerThread, int chunks) : IParallelJob
    {
        private readonly ManualResetEventSlim _othersDone = new();
        private int _completed;

        public bool WorkerGaveUp { get; private set; }

        public void Execute(int part, int parts)
        {
            // A chunk claimed by a worker stalls, as a descheduled thread would, until every other chunk is done: the
            // caller must be free to claim all of them (a static split would leave the worker's share waiting for it).
            if (Environment.CurrentManagedThreadId != callerThread)
                WorkerGaveUp |= !_othersDone.Wait(TimeSpan.FromSeconds(30));
            if (Interlocked.Increment(ref _completed) >= chunks - 1)
                _othersDone.Set();
        }
    }

    [Fact]
    public void AStalledWorkerHoldsUpOnlyTheChunkItClaimed()
    {
        using var pool = new WorkerPool(2);
        for (int run = 0; run < 20; run++)
        {
            var job = new StalledWorkerJob(Environment.CurrentManagedThreadId, chunks: 16);
            pool.Run(job, 16);
            Assert.False(job.WorkerGaveUp, "the caller left chunks to a stalled worker");
        }
    }

    private sealed class FailingJob : IParallelJob
    {
        public void Execute(int part, int parts)
        {
            if (part == parts - 1)
                throw new InvalidOperationException("chunk failed");
        }
    }

    [Fact]
    public void AChunksExceptionReachesTheCallerAndThePoolKeepsWorking()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new FailingJob(), 8));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var job = new CountingJob(8);
        pool.Run(job, 8);
        Assert.All(job.Runs, r => Assert.Equal(1, r));
    }

    [Theory]
    [InlineData(1, 300, 17)]
    [InlineData(2, 257, 65)]
    [InlineData(3, 96, 9)]
    [InlineData(7, 333, 40)]
    public void ChunkedProductsEqualTheSerialProductBitForBit(int m, int n, int k)
    {
        var random = new Random(m + n + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var serial = new float[m * n];
        GemmKernel.Multiply(a, b, serial, m, n, k, accumulate: false);
        foreach (int threads in new[] { 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            var chunked = new float[m * n];
            GemmKernel.Multiply(pool, a, b, chunked, m, n, k, accumulate: false, force: true);
            Assert.Equal(serial, chunked);
        }
    }
}
