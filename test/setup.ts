import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest'; // the matchers' types

Testing.setupJest();
