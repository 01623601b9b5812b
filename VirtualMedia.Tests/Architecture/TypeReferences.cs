using System.Reflection;
using System.Reflection.Emit;

namespace VirtualMedia.Tests.Architecture;

/// <summary>Every type a compiled type uses: its signatures and the tokens in its method bodies' IL.</summary>
internal static class TypeReferences
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(opCode => opCode.Value);

    /// <summary>The types <paramref name="type"/> (with its nested and compiler-made types) refers to.</summary>
    public static IEnumerable<Type> Of(Type type)
    {
        var found = new HashSet<Type>();
        foreach (var part in Parts(type))
        {
            Add(found, part.BaseType);
            foreach (var implemented in part.GetInterfaces())
            {
                Add(found, implemented);
            }

            foreach (var field in part.GetFields(Declared))
            {
                Add(found, field.FieldType);
            }

            foreach (var method in part.GetMethods(Declared).Cast<MethodBase>().Concat(part.GetConstructors(Declared)))
            {
                if (method is MethodInfo info)
                {
                    Add(found, info.ReturnType);
                }

                foreach (var parameter in method.GetParameters())
                {
                    Add(found, parameter.ParameterType);
                }

                foreach (var used in InBody(method))
                {
                    Add(found, used);
                }
            }
        }

        return found;
    }

    /// <summary>The outermost declaring type: a closure or state machine belongs to the type that wrote it.</summary>
    public static Type Owner(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static IEnumerable<Type> Parts(Type type) =>
        new[] { type }.Concat(type.GetNestedTypes(Declared).SelectMany(Parts));

    private static void Add(HashSet<Type> found, Type? type)
    {
        if (type is null)
        {
            return;
        }

        while (type.HasElementType)
        {
            type = type.GetElementType()!;
        }

        if (!found.Add(type) || !type.IsGenericType)
        {
            return;
        }

        foreach (var argument in type.GetGenericArguments())
        {
            Add(found, argument);
        }
    }

    private static IEnumerable<Type> InBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            var value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            if (opCode.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                var member = method.Module.ResolveMember(BitConverter.ToInt32(il, position), typeArguments, methodArguments);
                if (member is Type used)
                {
                    yield return used;
                }
                else if (member?.DeclaringType is { } declaringType)
                {
                    yield return declaringType;
                }
            }

            position += OperandSize(opCode.OperandType, il, position);
        }
    }

    private static int OperandSize(OperandType operand, byte[] il, int position) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
        _ => 4,
    };
}
