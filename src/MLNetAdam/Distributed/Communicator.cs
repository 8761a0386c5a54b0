namespace MLNetAdam.Distributed;

/// <summary>
/// A group of processes that train one model together (synchronous data parallelism): each process, a rank, trains on
/// its share of every global batch, and the sums below make every rank take the same step. <see cref="MpiCommunicator"/>
/// is the one for several machines; assign it to the trainer's <c>Options.Communicator</c>.
/// </summary>
public abstract class Communicator
{
    /// <summary>Creates a communicator. Derive from this class only to plug in another transport.</summary>
    protected Communicator()
    {
    }

    /// <summary>This process's 0-based rank.</summary>
    public abstract int Rank { get; }

    /// <summary>Number of ranks.</summary>
    public abstract int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    /// <param name="values">This rank's values in, the sums out.</param>
    public abstract void SumInPlace(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks.</summary>
    /// <param name="values">This rank's values in, the sums out.</param>
    public abstract void SumInPlace(Span<double> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise maximum over all ranks.</summary>
    /// <param name="values">This rank's values in, the maxima out.</param>
    public abstract void MaxInPlace(Span<double> values);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> to every rank.</summary>
    /// <param name="values">The root's values in, on every rank out.</param>
    /// <param name="root">The rank that sends.</param>
    public abstract void Broadcast(Span<float> values, int root);

    /// <summary>Waits until every rank has reached this call.</summary>
    public abstract void Barrier();

    /// <summary>Ends every rank of the job at once (after an error on one of them), with <paramref name="errorCode"/>.</summary>
    /// <param name="errorCode">The processes' exit code.</param>
    public abstract void Abort(int errorCode);
}
