using System.Runtime.InteropServices;

namespace MLNetAdam.Distributed;

/// <summary>
/// The thin binding to the system's MPI library (Debian: openmpi-bin and libopenmpi-dev), loaded only when first used.
/// Open MPI's handles are the addresses of exported globals (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, …) and
/// its <c>MPI_IN_PLACE</c> is 1; MPICH-ABI libraries use integer constants and −1. Nothing else differs for the calls used.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    private static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so.12", "libmpi.so"];

    private readonly delegate* unmanaged<int*, byte***, int> _init;
    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;

    private MpiLibrary(nint library)
    {
        nint Export(string name) => NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new DllNotFoundException($"The MPI library has no '{name}'.");
        _init = (delegate* unmanaged<int*, byte***, int>)Export("MPI_Init");
        _initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out nint world))
        {
            // Open MPI: handles are the addresses of its predefined objects.
            CommWorld = world;
            Float = Export("ompi_mpi_float");
            Double = Export("ompi_mpi_double");
            Sum = Export("ompi_mpi_op_sum");
            Max = Export("ompi_mpi_op_max");
            InPlace = 1;
        }
        else
        {
            // The MPICH ABI (MPICH, Intel MPI, MVAPICH): integer handles.
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Sum = 0x58000003;
            Max = 0x58000001;
            InPlace = -1;
        }
    }

    public nint CommWorld { get; }

    public nint Float { get; }

    public nint Double { get; }

    public nint Sum { get; }

    public nint Max { get; }

    public nint InPlace { get; }

    /// <summary>Loads the system's MPI library; a clear error names the Debian packages when there is none.</summary>
    public static MpiLibrary Load() => Load(Candidates);

    /// <summary>Loads the first of <paramref name="candidates"/> that exists (tests pass names that do not).</summary>
    internal static MpiLibrary Load(string[] candidates)
    {
        foreach (string name in candidates)
        {
            if (NativeLibrary.TryLoad(name, out nint library))
                return new MpiLibrary(library);
        }
        throw new DllNotFoundException(
            $"No MPI library was found (tried {string.Join(", ", candidates)}). Install Open MPI (on Debian or Ubuntu: "
            + "`apt-get install openmpi-bin libopenmpi-dev`) and start the program with mpirun.");
    }

    public void InitializeOnce()
    {
        int done;
        Check(_initialized(&done), "MPI_Initialized");
        if (done == 0)
            Check(_init(null, null), "MPI_Init");
    }

    public void FinalizeOnce()
    {
        int done;
        if (_finalized(&done) == 0 && done == 0)
            _finalize();
    }

    public int Rank()
    {
        int rank;
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size()
    {
        int size;
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    public void AllReduce(void* values, int count, nint type, nint op) =>
        Check(_allreduce((void*)InPlace, values, count, type, op, CommWorld), "MPI_Allreduce");

    public void Broadcast(void* values, int count, nint type, int root) => Check(_bcast(values, count, type, root, CommWorld), "MPI_Bcast");

    public void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");

    public void Abort(int code) => _abort(CommWorld, code);

    private static void Check(int code, string call)
    {
        if (code != 0)
            throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }
}
