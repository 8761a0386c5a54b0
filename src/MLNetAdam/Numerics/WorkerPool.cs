namespace MLNetAdam.Numerics;

/// <summary>A piece of work split into parts that run on the pool's threads at once.</summary>
internal interface IParallelJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    void Execute(int part, int parts);
}

/// <summary>
/// A fork-join pool of persistent threads for the training loop's kernels: <see cref="Run"/> hands one job to every
/// thread (the caller runs part 0) and returns when all parts are done. Nothing is allocated per run, and which part
/// runs on which thread never changes a result: each job writes disjoint outputs.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly SemaphoreSlim _done;
    private IParallelJob? _job;
    private Exception? _error;
    private volatile bool _stopping;

    /// <summary>Creates a pool that runs jobs in <paramref name="threads"/> parts (the caller's thread is one of them).</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _threads = new Thread[threads - 1];
        _start = new SemaphoreSlim[threads - 1];
        // A semaphore rather than a CountdownEvent: its wait allocates nothing even when it has to block
        // (ManualResetEventSlim creates its lock object lazily, on the first blocking wait).
        _done = new SemaphoreSlim(0);
        for (int i = 0; i < _threads.Length; i++)
        {
            int part = i + 1;
            _start[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Work(part)) { IsBackground = true, Name = $"MLNetAdam worker {part}" };
            _threads[i].Start();
        }
    }

    /// <summary>Number of parts each job is split into.</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="job"/> in <see cref="Threads"/> parts and waits for all of them; rethrows a part's exception.</summary>
    public void Run(IParallelJob job)
    {
        if (Threads == 1)
        {
            job.Execute(0, 1);
            return;
        }
        _job = job;
        _error = null;
        foreach (var start in _start)
            start.Release();
        try
        {
            job.Execute(0, Threads);
        }
        finally
        {
            for (int i = 1; i < Threads; i++)
                _done.Wait();
            _job = null;
        }
        if (_error is not null)
            throw new AggregateException("A worker thread failed.", _error);
    }

    private void Work(int part)
    {
        while (true)
        {
            _start[part - 1].Wait();
            if (_stopping)
                return;
            try
            {
                _job!.Execute(part, Threads);
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                _done.Release();
            }
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
        _done.Dispose();
    }
}
