using VirtualMedia.Nbd.Protocol;

namespace VirtualMedia.Nbd.Server;

/// <summary>Checks a request against the export before any source sees it.</summary>
internal static class NbdRequestValidator
{
    public static Errno Validate(NbdRequest request, NegotiatedExport negotiated)
    {
        var source = negotiated.Export.Source;
        var allowedFlags = request.Command switch
        {
            NbdCommand.Read => negotiated.StructuredReplies ? NbdCommandFlags.DontFragment : NbdCommandFlags.None,
            NbdCommand.Write or NbdCommand.Trim => source.CanFlush ? NbdCommandFlags.Fua : NbdCommandFlags.None,
            _ => NbdCommandFlags.None,
        };
        if ((request.Flags & ~allowedFlags) != 0)
        {
            return Errno.EINVAL;
        }

        switch (request.Command)
        {
            case NbdCommand.Read:
                return CheckRange(request, source.Size, Errno.EINVAL);
            case NbdCommand.Write:
                return !source.IsWritable ? Errno.EPERM : CheckRange(request, source.Size, Errno.ENOSPC);
            case NbdCommand.Trim:
                return !source.IsWritable ? Errno.EPERM
                    : !source.CanTrim ? Errno.EINVAL
                    : CheckRange(request, source.Size, Errno.EINVAL);
            case NbdCommand.Flush:
                return source.CanFlush && request.Offset == 0 && request.Length == 0 ? Errno.None : Errno.EINVAL;
            case NbdCommand.WriteZeroes:
                return !source.IsWritable ? Errno.EPERM : Errno.EINVAL;
            default:
                return Errno.EINVAL;
        }
    }

    private static Errno CheckRange(NbdRequest request, long size, Errno beyondEnd)
    {
        if (request.Length == 0 || request.Length > NbdConstants.MaxPayload)
        {
            return Errno.EINVAL;
        }

        return request.Offset > (ulong)size || request.Length > (ulong)size - request.Offset ? beyondEnd : Errno.None;
    }
}
