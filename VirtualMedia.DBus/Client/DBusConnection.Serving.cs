namespace VirtualMedia.DBus;

/// <content>Serving the object tree: incoming calls, their replies and errors, and signals of served objects.</content>
public sealed partial class DBusConnection
{
    internal void TrySendSignal(string path, string interfaceName, string member, MessageBody? body)
    {
        try
        {
            Send(MessageType.Signal, MessageFlags.NoReplyExpected, NextSerial(), body, path, interfaceName, member);
        }
        catch (DBusConnectionClosedException)
        {
            // This connection is going away; its reader reports why through Completion.
        }
    }

    internal async Task HandleCallAsync(DBusMessage message)
    {
        MessageBody? reply = null;
        DBusErrorException? error = null;
        var call = new MethodCall(this, message);
        try
        {
            try
            {
                reply = await CallDispatcher.DispatchAsync(Objects, call, _closing.Token).ConfigureAwait(false);
            }
            catch (DBusErrorException e)
            {
                error = e;
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A handler's bug must become an error reply, not kill the connection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // The exception text may hold details the caller must not see (URLs, paths): it goes to the event only.
                error = new DBusErrorException(DBusErrorNames.Failed, $"{message.Interface}.{message.Member} failed");
                Objects.ReportHandlerFailure(message, e);
            }

            if ((message.Flags & MessageFlags.NoReplyExpected) == 0 && Volatile.Read(ref _closed) == 0)
            {
                SendReply(message, reply, error);
            }
        }
        catch (DBusConnectionClosedException)
        {
            // The caller is gone; nobody is left to answer.
        }
        finally
        {
            call.MarkAnswered();
            reply?.Dispose();
            message.Dispose();
        }
    }

    private void SendReply(DBusMessage call, MessageBody? reply, DBusErrorException? error)
    {
        if (error is null)
        {
            Send(MessageType.MethodReturn, MessageFlags.NoReplyExpected, NextSerial(), reply, replySerial: call.Serial, destination: call.Sender);
            return;
        }

        using var body = MessageBody.Create("s");
        body.WriteString(error.ErrorMessage);
        Send(MessageType.Error, MessageFlags.NoReplyExpected, NextSerial(), body, errorName: error.ErrorName, replySerial: call.Serial, destination: call.Sender);
    }

    private void TrySendError(uint serial, string? destination, string errorName, string text)
    {
        try
        {
            using var body = MessageBody.Create("s");
            body.WriteString(text);
            Send(MessageType.Error, MessageFlags.NoReplyExpected, NextSerial(), body, errorName: errorName, replySerial: serial, destination: destination);
        }
        catch (DBusConnectionClosedException)
        {
            // The connection ended meanwhile: nobody is left to answer.
        }
    }
}
