using Spectre.Console;

namespace ArrowCid.Cli;

/// <summary>
/// A progress bar on stderr while a long operation runs, shown only when a person is watching
/// (<see cref="CliConsole.IsTerminal"/>); piped or scripted runs print nothing extra.
/// </summary>
internal static class CliProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports progress (in units of <paramref name="total"/>, or open-ended when null) through the callback it is given.</summary>
    public static T Run<T>(CliConsole console, string description, double? total, Func<Action<double>, T> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        if (!console.IsTerminal)
        {
            return work(_ => { });
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
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                var result = work(amount => task.Increment(amount));
                task.Value = task.MaxValue;
                return result;
            });
    }
}
