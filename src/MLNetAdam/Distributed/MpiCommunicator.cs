namespace MLNetAdam.Distributed;

/// <summary>
/// The ranks of an MPI job (<c>MPI_COMM_WORLD</c>) through the system's MPI library (Open MPI, or an MPICH-ABI one),
/// loaded the first time <see cref="World"/> is used: a machine without MPI never loads it. Start the program with
/// <c>mpirun -np N dotnet App.dll</c> (with a hostfile for several machines). MPI is finalized when the process exits
/// normally; after an error, <see cref="Abort"/> ends every rank instead (a finalize would wait for the others).
/// </summary>
public sealed unsafe class MpiCommunicator : Communicator
{
    private static readonly Lazy<MpiCommunicator> Shared = new(() => new MpiCommunicator(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly MpiLibrary _mpi;
    private volatile bool _aborted;

    private MpiCommunicator()
    {
        _mpi = MpiLibrary.Load();
        _mpi.InitializeOnce();
        Rank = _mpi.Rank();
        Size = _mpi.Size();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (!_aborted)
                _mpi.FinalizeOnce();
        };
    }

    /// <summary>All ranks of the job. Loads and initializes MPI on first use; throws <see cref="DllNotFoundException"/> naming the packages to install when there is no MPI library.</summary>
    public static MpiCommunicator World => Shared.Value;

    /// <inheritdoc/>
    public override int Rank { get; }

    /// <inheritdoc/>
    public override int Size { get; }

    /// <inheritdoc/>
    public override void SumInPlace(Span<float> values)
    {
        fixed (float* p = values)
            _mpi.AllReduce(p, values.Length, _mpi.Float, _mpi.Sum);
    }

    /// <inheritdoc/>
    public override void SumInPlace(Span<double> values)
    {
        fixed (double* p = values)
            _mpi.AllReduce(p, values.Length, _mpi.Double, _mpi.Sum);
    }

    /// <inheritdoc/>
    public override void MaxInPlace(Span<double> values)
    {
        fixed (double* p = values)
            _mpi.AllReduce(p, values.Length, _mpi.Double, _mpi.Max);
    }

    /// <inheritdoc/>
    public override void Broadcast(Span<float> values, int root)
    {
        fixed (float* p = values)
            _mpi.Broadcast(p, values.Length, _mpi.Float, root);
    }

    /// <inheritdoc/>
    public override void Barrier() => _mpi.Barrier();

    /// <inheritdoc/>
    public override void Abort(int errorCode)
    {
        _aborted = true;
        _mpi.Abort(errorCode);
    }
}
