using System.Data.Common;
using System.Globalization;

namespace ArrowCid.Registry;

/// <summary>Parameterised statements over any ADO.NET connection, in a line each; values never go into SQL text.</summary>
internal static class SqlCommands
{
    /// <summary>A parameterised command; values never go into SQL text.</summary>
    public static DbCommand Create(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // Every caller passes constant SQL; values travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            if (value is null)
            {
                // Every nullable column is text: a typed null keeps PostgreSQL from guessing.
                parameter.DbType = System.Data.DbType.String;
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Runs a statement; the number of rows it changed.</summary>
    public static int Execute(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Create(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row as a long, or null when there is none.</summary>
    public static long? ScalarInt64(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Create(connection, transaction, sql, parameters);
        object? value = command.ExecuteScalar();
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Calls <paramref name="visit"/> with the first column of each row, as the rows are read.</summary>
    public static void ForEachString(DbConnection connection, DbTransaction? transaction, string sql, Action<string> visit, params (string Name, object? Value)[] parameters)
    {
        using var command = Create(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            visit(reader.GetString(0));
        }
    }

    /// <summary>The first column of every row, as strings.</summary>
    public static List<string> Strings(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Create(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
