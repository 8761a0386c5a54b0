namespace MLNetAdam.Numerics;

/// <summary>A piece of work split into chunks that the pool's threads claim and run.</summary>
internal interface IParallelJob
{
    /// <summary>Runs chunk <paramref name="part"/> of <paramref name="parts"/> (each chunk writes its own outputs).</summary>
    void Execute(int part, int parts);
}

/// <summary>
/// A fork-join pool of persistent threads for the training loop's kernels. <see cref="Run(IParallelJob, int)"/> cuts a
/// job into chunks that the calling thread and the workers claim one at a time from a shared counter, and returns when
/// every chunk is done. The caller starts at once and never waits for a worker that has not started: a worker that is
/// slow to wake (or descheduled by another process) simply finds fewer chunks, or none, left. Nothing is allocated per
/// run, and which thread runs which chunk never changes a result: each chunk's arithmetic is fixed by its index.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private IParallelJob? _job;
    private Exception? _error;
    private volatile bool _stopping;

    // The claim counter of the current run: the chunk count in the high 32 bits, the next chunk in the low 32 bits.
    // A run resets it in one atomic write, so a claim always pairs a chunk with the count of the same run, and a late
    // claim on a finished run sees next ≥ count and takes nothing.
    private long _claim;
    private int _done;

    /// <summary>Creates a pool that runs jobs on <paramref name="threads"/> threads (the caller's thread is one of them).</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _threads = new Thread[threads - 1];
        _start = new SemaphoreSlim[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i;
            _start[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Work(worker)) { IsBackground = true, Name = $"MLNetAdam worker {worker + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Number of threads (the caller's included).</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="job"/> in one chunk per thread; see <see cref="Run(IParallelJob, int)"/>.</summary>
    public void Run(IParallelJob job) => Run(job, Threads);

    /// <summary>Runs <paramref name="job"/> as <paramref name="chunks"/> chunks and waits until all are done; rethrows a chunk's exception.</summary>
    public void Run(IParallelJob job, int chunks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        if (Threads == 1 || chunks == 1)
        {
            for (int c = 0; c < chunks; c++)
                job.Execute(c, chunks);
            return;
        }
        _job = job;
        _error = null;
        Volatile.Write(ref _done, 0);
        Interlocked.Exchange(ref _claim, (long)chunks << 32);
        foreach (var start in _start)
            start.Release();
        RunChunks();
        // Only chunks that another thread has claimed (and is running) can be left: wait for those alone.
        var spinner = new SpinWait();
        while (Volatile.Read(ref _done) < chunks)
            spinner.SpinOnce(sleep1Threshold: -1);
        if (_error is not null)
            throw new AggregateException("A worker thread failed.", _error);
    }

    // Claims and runs chunks until none is left.
    private void RunChunks()
    {
        while (true)
        {
            long claim = Interlocked.Increment(ref _claim);
            int chunk = (int)(claim & 0xFFFF_FFFF) - 1;
            int chunks = (int)(claim >> 32);
            if (chunk >= chunks)
                return;
            try
            {
                _job!.Execute(chunk, chunks);
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                Interlocked.Increment(ref _done);
            }
        }
    }

    private void Work(int worker)
    {
        while (true)
        {
            _start[worker].Wait();
            if (_stopping)
                return;
            RunChunks();
        }
    }

    /// <summary>Stops the threads.</summary>
    public void Dispose()
    {
        _stopping = true;
        foreach (var start in _start)
            start.Release();
        foreach (var thread in _threads)
            thread.Join();
        foreach (var start in _start)
            start.Dispose();
    }
}
