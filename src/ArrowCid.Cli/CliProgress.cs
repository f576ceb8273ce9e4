using Spectre.Console;

namespace ArrowCid.Cli;

/// <summary>What a progress bar counts: bytes show as sizes with a transfer rate.</summary>
internal enum ProgressUnit
{
    /// <summary>Rows, batches, chunks, blocks.</summary>
    Items,

    /// <summary>Bytes read, hashed or transferred.</summary>
    Bytes,
}

/// <summary>
/// A progress bar on stderr while a long operation runs, shown only when a person is watching
/// (<see cref="CliConsole.IsTerminal"/>); piped or scripted runs print nothing extra. Progress is
/// counted in what the operation actually works through (bytes read, rows, batches, chunks), with
/// the rate and the time left where the whole is known.
/// </summary>
internal static class CliProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports progress (in units of <paramref name="total"/>, or open-ended when null) through the callback it is given.</summary>
    public static T Run<T>(CliConsole console, string description, double? total, Func<Action<double>, T> work) =>
        Run(console, description, total, ProgressUnit.Items, work);

    /// <summary>As <see cref="Run{T}(CliConsole, string, double?, Func{Action{double}, T})"/>, counting in <paramref name="unit"/> (bytes show as sizes and a transfer rate).</summary>
    public static T Run<T>(CliConsole console, string description, double? total, ProgressUnit unit, Func<Action<double>, T> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        double done = 0;
        var observer = console.ProgressObserver;
        if (!console.IsTerminal)
        {
            return work(amount =>
            {
                done += amount;
                observer?.Invoke(done, total);
            });
        }

        // The console said a person is watching: draw the live bar whatever Spectre guesses from the writer.
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Error),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Yes,
        });
        return terminal.Progress()
            .AutoClear(true)
            .Columns(Columns(total is not null, unit == ProgressUnit.Bytes))
            .Start(context =>
            {
                // An open-ended task never fills: its value only drives the rate.
                var task = context.AddTask(Markup.Escape(description), maxValue: total ?? double.MaxValue);
                task.IsIndeterminate = total is null;
                var result = work(amount =>
                {
                    done += amount;
                    task.Increment(amount);
                    observer?.Invoke(done, total);
                });
                if (total is not null)
                {
                    task.Value = task.MaxValue;
                }

                return result;
            });
    }

    private static ProgressColumn[] Columns(bool known, bool bytes) => (known, bytes) switch
    {
        (true, true) => [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn()],
        (true, false) => [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn(), new SpinnerColumn()],
        (false, true) => [new TaskDescriptionColumn(), new ProgressBarColumn(), new TransferSpeedColumn(), new ElapsedTimeColumn(), new SpinnerColumn()],
        _ => [new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn()],
    };
}
